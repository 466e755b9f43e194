import assert from 'node:assert/strict';
import { bucketHigh, bucketIndex, bucketLow, Histogram, HISTOGRAM_MAX } from '../lib/histogram.js';

describe('bench histogram', () => {
  const cases: Array<[number, number, number]> = [
    // value, bucket low, bucket high
    [0, 0, 0],
    [1, 1, 1],
    [127, 127, 127],
    [128, 128, 128],
    [255, 255, 255],
    [256, 256, 257],
    [257, 256, 257],
    [1000, 1000, 1003],
    [1_000_000, 999_424, 1_003_519],
    [HISTOGRAM_MAX, 2_139_095_040, HISTOGRAM_MAX],
  ];
  for (const [value, low, high] of cases) {
    it(`puts ${value} in [${low}, ${high}]`, () => {
      const i = bucketIndex(value);
      assert.equal(bucketLow(i), low);
      assert.equal(bucketHigh(i), high);
      assert.ok(value >= bucketLow(i) && value <= bucketHigh(i));
    });
  }

  it('keeps the relative error under 1 % across the range', () => {
    for (let v = 1; v < HISTOGRAM_MAX; v = Math.floor(v * 1.37) + 1) {
      const i = bucketIndex(v);
      assert.ok((bucketHigh(i) - bucketLow(i)) / v < 0.01, `value ${v}`);
      assert.equal(bucketIndex(bucketLow(i)), i);
      assert.equal(bucketIndex(bucketHigh(i)), i);
    }
  });

  it('reports percentiles of 1..10000 within the bucket precision', () => {
    const h = new Histogram();
    for (let v = 1; v <= 10_000; v++) h.record(v);
    assert.equal(h.count, 10_000);
    assert.equal(h.min, 1);
    assert.equal(h.max, 10_000);
    assert.equal(h.mean, 5000.5);
    for (const p of [1, 50, 90, 99, 99.9]) {
      const exact = (p / 100) * 10_000;
      const got = h.percentile(p);
      assert.ok(got >= exact && got <= exact * 1.01, `p${p}: ${got} vs ${exact}`);
    }
    assert.equal(h.percentile(100), 10_000);
  });

  it('is NaN when empty and merges two histograms', () => {
    const a = new Histogram();
    assert.ok(Number.isNaN(a.percentile(50)));
    const b = new Histogram();
    a.record(10);
    b.record(20);
    b.record(30);
    a.merge(b);
    assert.equal(a.count, 3);
    assert.equal(a.min, 10);
    assert.equal(a.max, 30);
    assert.equal(a.percentile(50), 20);
  });
});
