/**
 * Per-device command execution states (as AWS IoT Jobs / Azure IoT Hub jobs have them):
 *
 *   QUEUED ─send→ SENT ─gateway ack→ DELIVERED ─result→ SUCCEEDED | FAILED | REJECTED | TIMED_OUT | ROLLED_BACK
 *   DELIVERED ─progress→ DOWNLOADING → VERIFYING → INSTALLING ─result→ (terminal)   (installs, issue 17)
 *   QUEUED|SENT ─TTL passed before delivery→ EXPIRED
 *   DELIVERED|DOWNLOADING|VERIFYING|INSTALLING ─no result before the deadline→ TIMED_OUT
 *   any non-terminal ─operator, abort threshold or a newer rollout (superseded)→ CANCELED
 *
 * Every state but the terminal ones has a way out by time (the command's TTL), so nothing stays in
 * progress for ever. Pure: the service asks `next(state, event)` and stores what it returns.
 */
export const TERMINAL = ['SUCCEEDED', 'FAILED', 'REJECTED', 'TIMED_OUT', 'EXPIRED', 'CANCELED', 'ROLLED_BACK'] as const;
export const PROGRESS = ['DOWNLOADING', 'VERIFYING', 'INSTALLING'] as const;
export const STATES = ['QUEUED', 'SENT', 'DELIVERED', ...PROGRESS, ...TERMINAL] as const;
export type TargetState = (typeof STATES)[number];
export type ProgressState = (typeof PROGRESS)[number];
/** States a target can still leave (the stores' "open" set). */
export const OPEN: readonly TargetState[] = ['QUEUED', 'SENT', 'DELIVERED', ...PROGRESS];

export type TargetEvent =
  | { type: 'sent' }
  | { type: 'delivered' }
  | { type: 'progress'; state: ProgressState }
  | { type: 'result'; status: 'SUCCEEDED' | 'FAILED' | 'REJECTED' | 'TIMED_OUT' | 'EXPIRED' | 'ROLLED_BACK' }
  | { type: 'expire' }
  | { type: 'cancel' };

export function isTerminal(s: TargetState): boolean {
  return (TERMINAL as readonly string[]).includes(s);
}

export function isProgress(s: string): s is ProgressState {
  return (PROGRESS as readonly string[]).includes(s);
}

/** The state after `event`, or undefined when the event does not apply (late or duplicate reports are ignored). */
export function next(state: TargetState, event: TargetEvent): TargetState | undefined {
  if (isTerminal(state)) return undefined;
  switch (event.type) {
    case 'sent':
      return state === 'QUEUED' ? 'SENT' : undefined;
    case 'delivered':
      return state === 'QUEUED' || state === 'SENT' ? 'DELIVERED' : undefined;
    case 'progress': {
      // Progress only moves forward; a repeat of the same stage is applied (its output carries the
      // byte count), an older one arriving late is not.
      const rank = (s: TargetState): number => (isProgress(s) ? PROGRESS.indexOf(s) : -1);
      return rank(event.state) >= rank(state) ? event.state : undefined;
    }
    case 'result':
      // A result may overtake the delivered report (both travel through the gateway's outbox).
      return event.status;
    case 'expire':
      return state === 'QUEUED' || state === 'SENT' ? 'EXPIRED' : 'TIMED_OUT';
    case 'cancel':
      return 'CANCELED';
  }
}
