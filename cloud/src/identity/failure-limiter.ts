/**
 * Brute-force protection: a token bucket per key for FAILED authentications. Each failure takes a token;
 * a key with none left is refused before its credentials are even checked, until tokens refill. The
 * authenticator keys it on (source address, claimed principal) — see failureKey in authenticator.ts.
 * Pure state + injected clock, so it is tested without waiting.
 */
export interface FailureLimiterOptions {
  /** failures allowed in a burst */
  burst: number;
  /** tokens regained per second */
  refillPerSecond: number;
  /** sources tracked at most (oldest forgotten first) so a spray of addresses cannot exhaust memory */
  maxSources: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class FailureLimiter {
  readonly #opts: FailureLimiterOptions;
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;

  constructor(opts: FailureLimiterOptions, now: () => number = Date.now) {
    this.#opts = opts;
    this.#now = now;
  }

  #bucket(source: string): Bucket {
    const now = this.#now();
    let b = this.#buckets.get(source);
    if (b === undefined) {
      b = { tokens: this.#opts.burst, at: now };
      if (this.#buckets.size >= this.#opts.maxSources) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
    } else {
      b.tokens = Math.min(this.#opts.burst, b.tokens + ((now - b.at) / 1000) * this.#opts.refillPerSecond);
      b.at = now;
      this.#buckets.delete(source); // re-insert: Map order doubles as LRU order
    }
    this.#buckets.set(source, b);
    return b;
  }

  /** False when the source has used up its failures and must wait. */
  allowed(source: string): boolean {
    return this.#bucket(source).tokens >= 1;
  }

  /** Records one failed attempt. */
  fail(source: string): void {
    const b = this.#bucket(source);
    b.tokens = Math.max(0, b.tokens - 1);
  }

  /** A success clears the source's record. */
  succeed(source: string): void {
    this.#buckets.delete(source);
  }

  get trackedSources(): number {
    return this.#buckets.size;
  }
}
