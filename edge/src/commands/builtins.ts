import type { BuiltinCommand } from './contract.js';

export interface BuiltinHooks {
  /** the agent's status snapshot (link, outbox, ports, config version) */
  status: () => Promise<Record<string, unknown>> | Record<string, unknown>;
  /** push the outbox out now (skip the rate cap and batch delay once) */
  flush: () => Promise<unknown>;
  /** ask the composition root to restart the agent after the result is queued */
  restart: () => void;
}

/**
 * Commands every gateway answers itself (device id = gateway id, or a group/broadcast command).
 * `rotate-logs` is answered honestly: the agent logs to stdout and journald rotates, so there is no file
 * to reopen.
 */
export function createBuiltins(h: BuiltinHooks): Record<string, BuiltinCommand> {
  return {
    ping: async () => ({ pong: Date.now() }),
    'report-status': async () => h.status(),
    'flush-buffer': async () => h.flush(),
    'rotate-logs': async () => ({ rotated: false, reason: 'logs go to stdout; journald rotates them' }),
    'restart-agent': async () => {
      // Restart after this result is in the outbox: the composition root exits on the next tick and
      // systemd (Restart=on-failure) starts it again.
      setTimeout(() => h.restart(), 100);
      return { restarting: true };
    },
  };
}
