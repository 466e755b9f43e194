/**
 * Reconnect delay: exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff
 * And Jitter"): delay = random(0, min(cap, base · 2^attempt)). Full jitter spreads a fleet of gateways
 * that lost the same broker at the same moment, so they do not all reconnect in the same second.
 * Pure: the random number is an argument, so the table tests need no timers and no mocks.
 */
export interface BackoffPolicy {
  /** delay ceiling of the first retry, ms */
  baseMs: number;
  /** the ceiling never grows past this, ms */
  capMs: number;
  /** never retry sooner than this, ms (keeps a hot loop off a broker that refuses at once) */
  minMs: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({ baseMs: 500, capMs: 30_000, minMs: 100 });

/** The upper bound of the delay before retry number `attempt` (0 = first retry). */
export function backoffCeiling(attempt: number, p: BackoffPolicy = DEFAULT_BACKOFF): number {
  const a = Math.max(0, Math.floor(attempt));
  // 2^a overflows to Infinity past ~1023; cap the exponent well before that.
  const exp = Math.min(a, 40);
  return Math.min(p.capMs, p.baseMs * 2 ** exp);
}

/**
 * The delay before retry number `attempt`, given `rand` in [0, 1). Always in [minMs, capMs].
 *
 * @example
 * backoffDelay(3, Math.random()) // somewhere in [100, 4000] ms with the defaults
 */
export function backoffDelay(attempt: number, rand: number, p: BackoffPolicy = DEFAULT_BACKOFF): number {
  const r = Number.isFinite(rand) ? Math.min(Math.max(rand, 0), 1) : 0;
  const ceiling = backoffCeiling(attempt, p);
  return Math.max(p.minMs, Math.min(p.capMs, Math.floor(r * ceiling)));
}
