/**
 * Events per second over the last `windowMs`, in one-second buckets (the sinks' rows/s). `now` is an
 * argument of every call, so the tests need no timers.
 */
export class RateWindow {
  readonly #windowMs: number;
  readonly #buckets = new Map<number, number>();

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  add(n: number, now = Date.now()): void {
    const s = Math.floor(now / 1000);
    this.#buckets.set(s, (this.#buckets.get(s) ?? 0) + n);
    this.#prune(now);
  }

  /** Per second, averaged over the window. */
  perSecond(now = Date.now()): number {
    this.#prune(now);
    let sum = 0;
    for (const n of this.#buckets.values()) sum += n;
    return sum / (this.#windowMs / 1000);
  }

  #prune(now: number): void {
    const oldest = Math.floor((now - this.#windowMs) / 1000);
    for (const s of this.#buckets.keys()) if (s <= oldest) this.#buckets.delete(s);
  }
}
