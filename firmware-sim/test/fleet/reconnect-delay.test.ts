import assert from 'node:assert/strict';
import { reconnectDelay } from '../../src/fleet/reconnect-delay.js';

describe('fleet reconnect delay (full jitter)', () => {
  const o = { baseMs: 100, maxMs: 5000, minMs: 10 };
  const cases: { attempt: number; r: number; ms: number }[] = [
    { attempt: 0, r: 0.5, ms: 50 },
    { attempt: 0, r: 0, ms: 10 },
    { attempt: 3, r: 0.5, ms: 400 },
    { attempt: 3, r: 0.999, ms: 799 },
    { attempt: 10, r: 0.5, ms: 2500 },
    { attempt: 1000, r: 1, ms: 5000 },
    { attempt: -5, r: 0.5, ms: 50 },
  ];
  for (const c of cases) {
    it(`attempt ${c.attempt}, random ${c.r} → ${c.ms} ms`, () => assert.equal(reconnectDelay(c.attempt, o, () => c.r), c.ms));
  }

  it('spreads 1,000 gateways over the window instead of one instant', () => {
    const delays = Array.from({ length: 1000 }, () => reconnectDelay(4, o));
    const buckets = new Set(delays.map((d) => Math.floor(d / 160)));
    assert.ok(buckets.size >= 9, `only ${buckets.size} of 10 buckets used`);
    assert.ok(delays.every((d) => d >= 10 && d <= 1600));
  });
});
