import assert from 'node:assert/strict';
import { newBucket, take } from '../../src/uplink/token-bucket.js';

describe('uplink/token-bucket', () => {
  const l = { rate: 1000 };
  const table: Array<{ name: string; tokens: number; elapsed: number; bytes: number; ok: boolean; tokensAfter?: number; waitMs?: number }> = [
    { name: 'full bucket pays', tokens: 1000, elapsed: 0, bytes: 400, ok: true, tokensAfter: 600 },
    { name: 'overdraw allowed while positive', tokens: 10, elapsed: 0, bytes: 5000, ok: true, tokensAfter: -4990 },
    { name: 'in debt must wait for it to be paid', tokens: -4990, elapsed: 0, bytes: 1, ok: false, waitMs: 4991 },
    { name: 'debt is paid by elapsed time', tokens: -500, elapsed: 600, bytes: 50, ok: true, tokensAfter: 50 },
    { name: 'refill caps at the burst', tokens: 0, elapsed: 60_000, bytes: 0, ok: true, tokensAfter: 1000 },
    { name: 'exactly empty waits 1 ms', tokens: 0, elapsed: 0, bytes: 1, ok: false, waitMs: 1 },
  ];
  for (const t of table) {
    it(t.name, () => {
      const res = take({ tokens: t.tokens, at: 0 }, t.elapsed, t.bytes, l);
      assert.equal(res.ok, t.ok);
      if (res.ok) assert.equal(res.bucket.tokens, t.tokensAfter);
      else assert.equal(res.waitMs, t.waitMs);
    });
  }

  it('rate 0 is unlimited', () => {
    const res = take({ tokens: -1e9, at: 0 }, 0, 1e9, { rate: 0 });
    assert.ok(res.ok);
  });

  it('over a simulated 10 s the throughput matches the rate', () => {
    let b = newBucket(0, l);
    let sent = 0;
    let now = 0;
    for (let i = 0; i < 100_000 && now <= 10_000; i++) {
      const r = take(b, now, 300, l);
      if (r.ok) {
        b = r.bucket;
        sent += 300;
      } else now += r.waitMs;
    }
    assert.ok(sent >= 10_000 && sent <= 11_500, `sent ${sent}`);
  });
});
