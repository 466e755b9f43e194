import type { DeviceState } from '../profiles/profile.js';

export interface CommandOutcome {
  state: DeviceState;
  /** the reply line (no terminator); replies start with ">" so the edge can tell them from readings */
  reply: string | null;
  /** `ACK <seq>` from the edge: the seq acknowledged */
  acked?: number;
  reboot?: boolean;
}

/**
 * What a device does with one line written to it. Pure. Commands: `set-interval <ms>` (10..3600000),
 * `set-relay on|off`, `reboot`; `ACK <seq>` acknowledges a message; anything else is answered with an
 * error line, as real firmware does, rather than ignored.
 */
export function answerCommand(line: string, st: DeviceState): CommandOutcome {
  const [cmd, ...args] = line.trim().split(/\s+/);
  switch (cmd) {
    case 'ACK': {
      const n = Number(args[0]);
      return Number.isInteger(n) ? { state: st, reply: null, acked: n } : { state: st, reply: '>err bad-ack' };
    }
    case 'set-interval': {
      const ms = Number(args[0]);
      if (!Number.isInteger(ms) || ms < 10 || ms > 3_600_000) return { state: st, reply: `>err set-interval needs 10..3600000 ms` };
      return { state: { ...st, intervalMs: ms }, reply: `>ok set-interval ${ms}` };
    }
    case 'set-relay': {
      if (args[0] !== 'on' && args[0] !== 'off') return { state: st, reply: '>err set-relay needs on|off' };
      return { state: { ...st, relay: args[0] === 'on' }, reply: `>ok set-relay ${args[0]}` };
    }
    case 'reboot':
      return { state: { ...st, seq: 0 }, reply: '>ok reboot', reboot: true };
    case '':
    case undefined:
      return { state: st, reply: null };
    default:
      return { state: st, reply: `>err unknown-command ${cmd.slice(0, 32)}` };
  }
}
