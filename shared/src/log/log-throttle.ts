import type { Logger } from './logger.js';

/**
 * Rate limit for log lines a peer can provoke at will (refused CONNECTs, refusals at a cap): at most
 * `burst` lines per key per window; the rest are counted, and the count is logged once the window is
 * over — on the key's next line, or by flush() — so an operator learns how much was left out without
 * the log growing with the attack (issue 23 item 7: 40 CONNECTs while banned added 2.5 MB).
 */
export interface LogThrottleOptions {
  /** lines logged per key and window */
  burst: number;
  windowMs: number;
  /** keys tracked at most (oldest forgotten first, their suppressed count reported in the next flush) */
  maxKeys: number;
}

interface Window {
  start: number;
  logged: number;
  suppressed: number;
}

export const REFUSAL_LOG_DEFAULTS: Readonly<LogThrottleOptions> = Object.freeze({ burst: 5, windowMs: 60_000, maxKeys: 10_000 });

/** Pure state with an injected clock: decides which lines to write. */
export class LogThrottle {
  readonly #o: LogThrottleOptions;
  readonly #now: () => number;
  readonly #windows = new Map<string, Window>();
  #evictedSuppressed = 0;
  /** lines left out since start (a counter for metrics) */
  suppressedTotal = 0;

  constructor(opts: LogThrottleOptions, now: () => number = Date.now) {
    this.#o = opts;
    this.#now = now;
  }

  /** Whether to log a line for `key` now, and how many earlier lines of that key were left out. */
  admit(key: string): { log: boolean; suppressed: number } {
    const now = this.#now();
    let w = this.#windows.get(key);
    let carried = 0;
    if (w !== undefined && now - w.start >= this.#o.windowMs) {
      carried = w.suppressed;
      this.#windows.delete(key);
      w = undefined;
    }
    if (w === undefined) {
      if (this.#windows.size >= this.#o.maxKeys) {
        const [oldest, ow] = this.#windows.entries().next().value as [string, Window];
        this.#evictedSuppressed += ow.suppressed;
        this.#windows.delete(oldest);
      }
      w = { start: now, logged: 0, suppressed: 0 };
      this.#windows.set(key, w);
    }
    if (w.logged < this.#o.burst) {
      w.logged++;
      return { log: true, suppressed: carried };
    }
    w.suppressed++;
    this.suppressedTotal++;
    // A count carried from the last window that this line does not report stays owed to flush().
    if (carried > 0) this.#evictedSuppressed += carried;
    return { log: false, suppressed: 0 };
  }

  /**
   * Suppressed counts of windows that are over (reset), plus those of forgotten keys under key `*`;
   * `all` (at shutdown) also takes the counts of windows still running.
   */
  drain(all = false): Array<{ key: string; suppressed: number }> {
    const now = this.#now();
    const out: Array<{ key: string; suppressed: number }> = [];
    for (const [key, w] of this.#windows) {
      if (!all && now - w.start < this.#o.windowMs) continue;
      if (w.suppressed > 0) out.push({ key, suppressed: w.suppressed });
      this.#windows.delete(key);
    }
    if (this.#evictedSuppressed > 0) {
      out.push({ key: '*', suppressed: this.#evictedSuppressed });
      this.#evictedSuppressed = 0;
    }
    return out;
  }

  get trackedKeys(): number {
    return this.#windows.size;
  }
}

/** A logger front that throttles warnings per key (e.g. `reason + source`). */
export class ThrottledLog {
  readonly throttle: LogThrottle;

  /** `onSuppressed` is called for each line left out (to count it in a metric). */
  constructor(
    private readonly logger: Logger,
    opts: LogThrottleOptions = REFUSAL_LOG_DEFAULTS,
    private readonly onSuppressed: () => void = () => {},
    now: () => number = Date.now,
  ) {
    this.throttle = new LogThrottle(opts, now);
  }

  warn(key: string, msg: string, fields: Record<string, unknown> = {}): void {
    const { log, suppressed } = this.throttle.admit(key);
    if (log) this.logger.warn(msg, suppressed > 0 ? { ...fields, suppressedBefore: suppressed } : fields);
    else this.onSuppressed();
  }

  /** Logs how many lines each finished window left out; call periodically, and with `all` at shutdown. */
  flush(all = false): void {
    for (const { key, suppressed } of this.throttle.drain(all)) this.logger.warn('similar log lines suppressed', { about: key, suppressed });
  }
}
