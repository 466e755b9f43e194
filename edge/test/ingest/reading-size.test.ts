import assert from 'node:assert/strict';
import { isOversized, readingSize } from '../../src/ingest/reading-size.js';

describe('ingest/reading-size', () => {
  const cases: Array<[string, Parameters<typeof readingSize>[0], number]> = [
    ['a number counts device, stream and the fixed 32', { device: 'd', stream: 's', value: 21.5 }, 34],
    ['a unit counts', { device: 'd', stream: 's', value: 1, unit: 'degC' }, 38],
    ['a string value counts in UTF-8 bytes', { device: 'd', stream: 's', value: 'é'.repeat(10) }, 54],
    ['booleans and null count nothing more', { device: 'dev', stream: 'st', value: null }, 37],
  ];
  for (const [name, r, want] of cases) it(name, () => assert.equal(readingSize(r), want));

  it('over the limit is oversized; 0 means no limit', () => {
    const big = { device: 'd', stream: 's', value: 'x'.repeat(1000) };
    assert.equal(isOversized(big, 1034), false);
    assert.equal(isOversized(big, 1033), true);
    assert.equal(isOversized(big, 0), false);
  });
});
