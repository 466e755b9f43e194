import assert from 'node:assert/strict';
import { sourceAddress } from '../../src/fleet/source-address.js';

describe('fleet source addresses', () => {
  const cases: [number, string][] = [
    [0, '127.0.1.1'],
    [1, '127.0.1.2'],
    [253, '127.0.1.254'],
    [254, '127.0.2.1'],
    [254 * 255, '127.1.0.1'],
    [254 * 255 - 1, '127.0.255.254'],
  ];
  for (const [i, addr] of cases) it(`${i} → ${addr}`, () => assert.equal(sourceAddress(i), addr));

  it('gives 10,000 gateways distinct addresses, none 127.0.0.x, no .0/.255 host', () => {
    const all = Array.from({ length: 10_000 }, (_, i) => sourceAddress(i));
    assert.equal(new Set(all).size, all.length);
    for (const a of all) {
      assert.ok(!a.startsWith('127.0.0.'), a);
      const host = Number(a.split('.')[3]);
      assert.ok(host >= 1 && host <= 254, a);
    }
  });

  it('rejects what does not fit 127.0.0.0/8', () => {
    for (const bad of [-1, 1.5, 254 * 256 * 256]) assert.throws(() => sourceAddress(bad), RangeError);
  });
});
