/**
 * Latency samples → percentiles, bounded in memory: the first `capacity` samples are kept, after that
 * reservoir sampling (Vitter's algorithm R) keeps a uniform sample of everything seen, so a long fleet run
 * at 100,000 msg/s does not grow without bound. Count, min, max and mean are exact.
 */
export interface Percentiles {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export class LatencyStats {
  private readonly samples: number[] = [];
  count = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;

  constructor(private readonly capacity = 100_000, private readonly random: () => number = Math.random) {}

  add(ms: number): void {
    this.count++;
    this.sum += ms;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
    if (this.samples.length < this.capacity) this.samples.push(ms);
    else {
      const j = Math.floor(this.random() * this.count);
      if (j < this.capacity) this.samples[j] = ms;
    }
  }

  /** Nearest-rank percentiles; all zeros when nothing was recorded. */
  percentiles(): Percentiles {
    if (this.count === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
    const sorted = [...this.samples].sort((a, b) => a - b);
    const rank = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
    const r3 = (x: number): number => Math.round(x * 1000) / 1000;
    return { count: this.count, min: r3(this.min), mean: r3(this.sum / this.count), p50: r3(rank(50)), p90: r3(rank(90)), p99: r3(rank(99)), max: r3(this.max) };
  }
}
