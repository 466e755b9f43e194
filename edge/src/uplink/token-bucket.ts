/**
 * Rate limit for `uplink.maxBytesPerSecond`, as a pure value: the caller owns the state and the clock.
 * A send may overdraw the bucket (go into debt) so a payload larger than the burst still goes out;
 * the debt is then paid by waiting. Pure, so the table tests need no timers.
 */
export interface Bucket {
  tokens: number;
  at: number;
}

export interface BucketLimits {
  /** bytes per second; 0 = unlimited */
  rate: number;
  /** the most tokens the bucket holds (default: one second's worth) */
  burst?: number;
}

export function newBucket(now: number, l: BucketLimits): Bucket {
  return { tokens: l.burst ?? l.rate, at: now };
}

function refill(b: Bucket, now: number, l: BucketLimits): number {
  const burst = l.burst ?? l.rate;
  return Math.min(burst, b.tokens + (Math.max(0, now - b.at) * l.rate) / 1000);
}

/**
 * Tries to spend `bytes`. Returns the new state when allowed, else how long to wait before asking again.
 */
export function take(b: Bucket, now: number, bytes: number, l: BucketLimits): { ok: true; bucket: Bucket } | { ok: false; waitMs: number } {
  if (l.rate <= 0) return { ok: true, bucket: b };
  const tokens = refill(b, now, l);
  if (tokens > 0 || bytes === 0) return { ok: true, bucket: { tokens: tokens - bytes, at: now } };
  return { ok: false, waitMs: Math.max(1, Math.ceil(((1 - tokens) * 1000) / l.rate)) };
}
