import assert from 'node:assert/strict';
import { perConnection } from '../idle-connections.js';

describe('bench idle-connections: perConnection', () => {
  it('divides the whole growth by every connection and the second half by its own connections', () => {
    // 10 MB once under the first burst, then 3,000 B for each connection
    const before = 80e6;
    const half = before + 10e6 + 9_500 * 3_000;
    const after = half + 9_500 * 3_000;
    const p = perConnection({ rssBefore: before, rssHalf: half, rssAfter: after, connectedHalf: 9_500, connected: 19_000 });
    assert.equal(p.additional, 3_000);
    assert.ok(Math.abs(p.whole - (10e6 + 19_000 * 3_000) / 19_000) < 1e-9, String(p.whole));
    assert.ok(p.whole > p.additional);
  });

  it('uses the halfway count that was reached, not N / 2', () => {
    const p = perConnection({ rssBefore: 0, rssHalf: 4_000, rssAfter: 10_000, connectedHalf: 4, connected: 7 });
    assert.equal(p.additional, 2_000);
  });

  it('refuses a run without two halves', () => {
    assert.throws(() => perConnection({ rssBefore: 0, rssHalf: 0, rssAfter: 1, connectedHalf: 0, connected: 10 }), RangeError);
    assert.throws(() => perConnection({ rssBefore: 0, rssHalf: 0, rssAfter: 1, connectedHalf: 10, connected: 10 }), RangeError);
  });
});
