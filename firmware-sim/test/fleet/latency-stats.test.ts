import assert from 'node:assert/strict';
import { LatencyStats } from '../../src/fleet/latency-stats.js';

describe('fleet latency stats', () => {
  it('reports zeros when empty', () => {
    assert.deepEqual(new LatencyStats().percentiles(), { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 });
  });

  it('gives nearest-rank percentiles of 1..100', () => {
    const s = new LatencyStats();
    for (let i = 100; i >= 1; i--) s.add(i);
    assert.deepEqual(s.percentiles(), { count: 100, min: 1, mean: 50.5, p50: 50, p90: 90, p99: 99, max: 100 });
  });

  it('stays bounded past its capacity and keeps exact count, min, max, mean', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const s = new LatencyStats(1000, rnd);
    for (let i = 1; i <= 100_000; i++) s.add(i % 1000);
    const p = s.percentiles();
    assert.equal(p.count, 100_000);
    assert.equal(p.min, 0);
    assert.equal(p.max, 999);
    assert.equal(p.mean, 499.5);
    // a uniform sample of a uniform distribution: the median is near 500
    assert.ok(Math.abs(p.p50 - 500) < 80, `p50 ${p.p50}`);
    assert.ok(Math.abs(p.p90 - 900) < 50, `p90 ${p.p90}`);
  });
});
