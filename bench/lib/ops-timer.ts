/**
 * Times a CPU-bound batch function: warms it up, then runs it repeatedly for `durationMs` per round and
 * reports the median round's operations per second. Bounded: at most `maxBatches` batches per round.
 */
export interface OpsTiming {
  opsPerSec: number;
  /** every round's figure, to show the spread */
  rounds: number[];
  /** the batches' return values summed: keeps the work observable so it cannot be optimised away */
  sink: number;
}

export function timeOps(batch: () => { ops: number; sink: number }, opts: { durationMs: number; rounds: number; maxBatches?: number }): OpsTiming {
  const maxBatches = opts.maxBatches ?? 10_000_000;
  let sink = 0;
  // Warm-up: let the JIT see the hot path before the clock starts.
  const warmEnd = performance.now() + Math.max(50, opts.durationMs / 4);
  for (let i = 0; i < maxBatches && performance.now() < warmEnd; i++) sink += batch().sink;
  const rounds: number[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    let ops = 0;
    const start = performance.now();
    const end = start + opts.durationMs;
    let now = start;
    for (let i = 0; i < maxBatches && now < end; i++) {
      const b = batch();
      ops += b.ops;
      sink += b.sink;
      now = performance.now();
    }
    rounds.push((ops / (now - start)) * 1000);
  }
  const sorted = [...rounds].sort((a, b) => a - b);
  return { opsPerSec: sorted[Math.floor(sorted.length / 2)]!, rounds, sink };
}
