/**
 * Seeded pseudo-random numbers (mulberry32) so a simulated device, a fuzz test or a benchmark is
 * reproducible: a test that knows the seed can compute every value the device sent. Not for anything
 * secret. One copy for the simulator, the tests and the benchmarks (issue 14).
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A value in [0,1) that depends only on (seed, n): sample n's noise does not depend on what came before. */
export function noiseAt(seed: number, n: number): number {
  return prng((seed * 0x9e3779b1) ^ Math.imul(n + 1, 0x85ebca6b))();
}
