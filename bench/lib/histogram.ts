/**
 * A log-linear latency histogram in the manner of HdrHistogram: values below 2^SUB_BITS are counted
 * exactly, larger ones in buckets whose width is 1/2^SUB_BITS of their magnitude (≈0.8 % relative error
 * with SUB_BITS = 7). Fixed memory (a few KB) whatever the number of samples, so a benchmark can record
 * millions of latencies without keeping them.
 */
const SUB_BITS = 7;
const SUB = 1 << SUB_BITS;
/** Largest recordable value; bigger ones are clamped (2^31-1 µs is about 35 minutes). */
export const HISTOGRAM_MAX = 0x7fffffff;
const BUCKETS = SUB + (31 - SUB_BITS) * SUB;

/** Bucket index of a non-negative integer value. */
export function bucketIndex(value: number): number {
  const v = Math.min(HISTOGRAM_MAX, Math.max(0, Math.floor(value)));
  if (v < SUB) return v;
  const shift = 31 - Math.clz32(v) - SUB_BITS;
  return SUB + shift * SUB + ((v >>> shift) - SUB);
}

/** Smallest value that falls in bucket `index`. */
export function bucketLow(index: number): number {
  if (index < SUB) return index;
  const shift = Math.floor((index - SUB) / SUB);
  return (SUB + ((index - SUB) % SUB)) * 2 ** shift;
}

/** Largest value that falls in bucket `index`. */
export function bucketHigh(index: number): number {
  if (index < SUB) return index;
  const shift = Math.floor((index - SUB) / SUB);
  return bucketLow(index) + 2 ** shift - 1;
}

export class Histogram {
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #sum = 0;
  #min = Infinity;
  #max = -Infinity;

  /** Records one value (any unit; the benchmarks use microseconds). */
  record(value: number): void {
    const v = Math.min(HISTOGRAM_MAX, Math.max(0, Math.floor(value)));
    this.#counts[bucketIndex(v)]! += 1;
    this.#count++;
    this.#sum += v;
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
  }

  get count(): number {
    return this.#count;
  }

  get min(): number {
    return this.#count === 0 ? NaN : this.#min;
  }

  get max(): number {
    return this.#count === 0 ? NaN : this.#max;
  }

  get mean(): number {
    return this.#count === 0 ? NaN : this.#sum / this.#count;
  }

  /**
   * The value at percentile p (0–100]: the highest value equivalent to the sample of that rank, clamped
   * to the recorded maximum (as HdrHistogram reports it). NaN when empty.
   */
  percentile(p: number): number {
    if (this.#count === 0) return NaN;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.#count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(this.#max, Math.max(this.#min, bucketHigh(i)));
    }
    return this.#max;
  }

  /** Adds every sample of `other` into this one. */
  merge(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++) this.#counts[i]! += other.#counts[i]!;
    this.#count += other.#count;
    this.#sum += other.#sum;
    if (other.#min < this.#min) this.#min = other.#min;
    if (other.#max > this.#max) this.#max = other.#max;
  }

  /** `p50 1.2 ms · p99 3.4 ms · max 9.9 ms` for values recorded in microseconds. */
  summaryMicros(): string {
    if (this.#count === 0) return 'no samples';
    const f = (us: number): string => (us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${us.toFixed(0)} µs`);
    return `p50 ${f(this.percentile(50))} · p99 ${f(this.percentile(99))} · max ${f(this.max)}`;
  }
}
