/**
 * Retry delays, one policy for every retry loop in Causeway: the uplink's reconnect, a serial port's
 * reopen, a simulated gateway's reconnect (issue 14: there were three copies).
 *
 * Exponential growth, capped, with jitter: delay = ceiling · (1 − jitter) + ceiling · jitter · rand, where
 * ceiling = min(cap, base · factor^attempt). `jitter` 1 (the default) is full jitter (AWS Architecture
 * Blog, "Exponential Backoff And Jitter"): a fleet of gateways that lost the same broker at the same
 * moment spreads over the whole window instead of reconnecting in the same second. A smaller jitter keeps
 * most of the delay and randomises the rest (a serial port's reopen, where only a few retry together).
 * Pure: the random number is an argument, so the table tests need no timers and no mocks.
 */
export interface BackoffPolicy {
  /** delay ceiling of the first retry, ms */
  baseMs: number;
  /** the ceiling never grows past this, ms */
  capMs: number;
  /** never retry sooner than this, ms (keeps a hot loop off a broker that refuses at once); default 0 */
  minMs?: number;
  /** growth of the ceiling per attempt; default 2 */
  factor?: number;
  /** 0..1: the share of the ceiling that is randomised; default 1 (full jitter) */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({ baseMs: 500, capMs: 30_000, minMs: 100 });

const unit = (x: number): number => (Number.isFinite(x) ? Math.min(Math.max(x, 0), 1) : 0);

/** The upper bound of the delay before retry number `attempt` (0 = first retry). */
export function backoffCeiling(attempt: number, p: BackoffPolicy = DEFAULT_BACKOFF): number {
  const a = Math.max(0, Math.floor(attempt));
  // factor^a overflows to Infinity for large a; cap the exponent well before that.
  const exp = Math.min(a, 40);
  return Math.min(p.capMs, p.baseMs * (p.factor ?? 2) ** exp);
}

/**
 * The delay before retry number `attempt`, given `rand` in [0, 1). Always in [minMs, capMs].
 *
 * @example
 * backoffDelay(3, Math.random()) // somewhere in [100, 4000] ms with the defaults
 * backoffDelay(3, Math.random(), { baseMs: 250, capMs: 30_000, jitter: 0.2 }) // in [1600, 2000] ms
 */
export function backoffDelay(attempt: number, rand: number, p: BackoffPolicy = DEFAULT_BACKOFF): number {
  const j = unit(p.jitter ?? 1);
  const ceiling = backoffCeiling(attempt, p);
  return Math.max(p.minMs ?? 0, Math.min(p.capMs, Math.floor(ceiling * (1 - j) + ceiling * j * unit(rand))));
}
