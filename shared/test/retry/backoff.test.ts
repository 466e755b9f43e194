import assert from 'node:assert/strict';
import { backoffCeiling, backoffDelay, DEFAULT_BACKOFF } from '../../src/retry/backoff.js';

describe('shared/retry/backoff', () => {
  const p = { baseMs: 500, capMs: 30_000, minMs: 100 };

  const ceilings: Array<[number, number]> = [
    [0, 500],
    [1, 1000],
    [2, 2000],
    [5, 16_000],
    [6, 30_000],
    [60, 30_000],
    [5000, 30_000],
    [-3, 500],
    [2.7, 2000],
  ];
  for (const [attempt, want] of ceilings) {
    it(`ceiling of attempt ${attempt} is ${want} ms`, () => assert.equal(backoffCeiling(attempt, p), want));
  }

  const delays: Array<[number, number, number]> = [
    // attempt, rand, expected
    [0, 0, 100], // floor at minMs
    [0, 0.5, 250],
    [0, 0.999, 499],
    [3, 0.5, 2000],
    [3, 0, 100],
    [10, 0.25, 7500],
    [10, 0.9999999, 29_999],
    [10, 1, 30_000], // rand clamped to 1 still within cap
    [2, Number.NaN, 100],
    [2, -1, 100],
    [2, 7, 2000],
  ];
  for (const [attempt, rand, want] of delays) {
    it(`delay of attempt ${attempt} with rand ${rand} is ${want} ms`, () => assert.equal(backoffDelay(attempt, rand, p), want));
  }

  it('full jitter: over many draws the delays cover the range and stay in bounds', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const d = backoffDelay(4, i / 1000, p);
      assert.ok(d >= p.minMs && d <= 8000, `delay ${d} out of bounds`);
      seen.add(Math.floor(d / 1000));
    }
    assert.equal(seen.size, 8);
  });

  it('defaults are frozen', () => assert.ok(Object.isFrozen(DEFAULT_BACKOFF)));

  // proportional jitter (a serial port's reopen): most of the delay stays, the rest is random
  const partial: Array<[string, number, Parameters<typeof backoffDelay>[2], number, number]> = [
    ['first attempt is the base delay', 0, { baseMs: 100, capMs: 30_000, jitter: 0 }, 0.5, 100],
    ['doubles', 3, { baseMs: 100, capMs: 30_000, jitter: 0 }, 0.5, 800],
    ['capped', 20, { baseMs: 100, capMs: 5000, jitter: 0 }, 0.5, 5000],
    ['a huge attempt does not overflow', 10_000, { baseMs: 100, capMs: 5000, jitter: 0 }, 0.5, 5000],
    ['half jitter, random 0: half the ceiling', 1, { baseMs: 100, capMs: 30_000, jitter: 0.5 }, 0, 100],
    ['half jitter, random → 1: the ceiling', 1, { baseMs: 100, capMs: 30_000, jitter: 0.5 }, 0.999999, 199],
    ['factor 1 is constant', 7, { baseMs: 300, capMs: 30_000, factor: 1, jitter: 0 }, 0, 300],
    ['factor 3', 2, { baseMs: 10, capMs: 30_000, factor: 3, jitter: 0 }, 0, 90],
    ['no floor by default', 0, { baseMs: 100, capMs: 5000 }, 0, 0],
  ];
  for (const [name, attempt, policy, r, want] of partial) it(name, () => assert.equal(backoffDelay(attempt, r, policy), want));

  it('spreads 1,000 gateways over the window instead of one instant', () => {
    const p2 = { baseMs: 100, capMs: 5000, minMs: 10 };
    const delays = Array.from({ length: 1000 }, () => backoffDelay(4, Math.random(), p2));
    const buckets = new Set(delays.map((d) => Math.floor(d / 160)));
    assert.ok(buckets.size >= 9, `only ${buckets.size} of 10 buckets used`);
    assert.ok(delays.every((d) => d >= 10 && d <= 1600));
  });
});
