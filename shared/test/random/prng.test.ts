import assert from 'node:assert/strict';
import { noiseAt, prng } from '../../src/random/prng.js';

describe('shared/random/prng', () => {
  it('gives the same sequence for the same seed, another for another seed', () => {
    const a = prng(42);
    const b = prng(42);
    const c = prng(43);
    const xs = Array.from({ length: 5 }, () => a());
    assert.deepEqual(Array.from({ length: 5 }, () => b()), xs);
    assert.notDeepEqual(Array.from({ length: 5 }, () => c()), xs);
  });

  it('stays in [0, 1) and spreads over it', () => {
    const r = prng(7);
    const buckets = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const x = r();
      assert.ok(x >= 0 && x < 1);
      buckets.add(Math.floor(x * 10));
    }
    assert.equal(buckets.size, 10);
  });

  it('noiseAt depends only on (seed, n)', () => {
    assert.equal(noiseAt(1, 5), noiseAt(1, 5));
    assert.notEqual(noiseAt(1, 5), noiseAt(1, 6));
  });
});
