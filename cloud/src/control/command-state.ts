/**
 * Per-device command execution states (as AWS IoT Jobs / Azure IoT Hub jobs have them):
 *
 *   QUEUED ─send→ SENT ─gateway ack→ DELIVERED ─result→ SUCCEEDED | FAILED | REJECTED | TIMED_OUT
 *   QUEUED|SENT ─TTL passed before delivery→ EXPIRED
 *   DELIVERED ─no result before the deadline→ TIMED_OUT
 *   any non-terminal ─operator or abort threshold→ CANCELED
 *
 * Pure: the service asks `next(state, event)` and stores what it returns.
 */
export const TERMINAL = ['SUCCEEDED', 'FAILED', 'REJECTED', 'TIMED_OUT', 'EXPIRED', 'CANCELED'] as const;
export const STATES = ['QUEUED', 'SENT', 'DELIVERED', ...TERMINAL] as const;
export type TargetState = (typeof STATES)[number];

export type TargetEvent =
  | { type: 'sent' }
  | { type: 'delivered' }
  | { type: 'result'; status: 'SUCCEEDED' | 'FAILED' | 'REJECTED' | 'TIMED_OUT' | 'EXPIRED' }
  | { type: 'expire' }
  | { type: 'cancel' };

export function isTerminal(s: TargetState): boolean {
  return (TERMINAL as readonly string[]).includes(s);
}

/** The state after `event`, or undefined when the event does not apply (late or duplicate reports are ignored). */
export function next(state: TargetState, event: TargetEvent): TargetState | undefined {
  if (isTerminal(state)) return undefined;
  switch (event.type) {
    case 'sent':
      return state === 'QUEUED' ? 'SENT' : undefined;
    case 'delivered':
      return state === 'QUEUED' || state === 'SENT' ? 'DELIVERED' : undefined;
    case 'result':
      // A result may overtake the delivered report (both travel through the gateway's outbox).
      return event.status;
    case 'expire':
      return state === 'DELIVERED' ? 'TIMED_OUT' : 'EXPIRED';
    case 'cancel':
      return 'CANCELED';
  }
}
