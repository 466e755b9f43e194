import type { Logger } from '@causeway/shared';
import type { MessageLog, RetentionPolicy } from './contract.js';

export interface RetentionTimer {
  /** Runs one prune now (also what the timer does); resolves to the records removed, 0 on failure. */
  runOnce(): Promise<number>;
  /** Stops the timer and waits for a prune in progress. */
  stop(): Promise<void>;
}

/**
 * Applies `policy` to the log every `intervalMs`. A failed prune is logged and counted, never thrown:
 * retention is housekeeping and must not take the broker down; the next tick tries again. Prunes never
 * overlap. The timer is unref'd so it does not keep the process alive.
 *
 * @example
 * const retention = startRetention(store.log, { maxAgeMs: 7 * 86_400_000, maxBytes: 0 }, 60_000, logger);
 * // on shutdown
 * await retention.stop();
 */
export function startRetention(log: MessageLog, policy: RetentionPolicy, intervalMs: number, logger: Logger): RetentionTimer {
  let running: Promise<number> | undefined;
  let failures = 0;
  const runOnce = (): Promise<number> => {
    running ??= log
      .prune(policy)
      .then((removed) => {
        if (removed > 0) logger.info('retention pruned the log', { removed, ...policy });
        return removed;
      })
      .catch((err: unknown) => {
        failures++;
        logger.error('retention failed', { err, failures });
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  // No "policy is unbounded, skip" shortcut: expired messages are pruned under any policy.
  const timer = setInterval(() => void runOnce(), intervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
