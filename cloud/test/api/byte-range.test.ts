import assert from 'node:assert/strict';
import { parseByteRange } from '../../src/api/byte-range.js';

describe('parseByteRange (RFC 9110 §14.1.2)', () => {
  const cases: Array<[string | undefined, number, ReturnType<typeof parseByteRange>]> = [
    [undefined, 100, undefined],
    ['bytes=0-99', 100, { start: 0, end: 99 }],
    ['bytes=10-', 100, { start: 10, end: 99 }],
    ['bytes=10-1000', 100, { start: 10, end: 99 }],
    ['bytes=-10', 100, { start: 90, end: 99 }],
    ['bytes=-1000', 100, { start: 0, end: 99 }],
    ['BYTES = 5 - 6', 100, { start: 5, end: 6 }],
    ['bytes=99-99', 100, { start: 99, end: 99 }],
    ['bytes=100-', 100, 'unsatisfiable'],
    ['bytes=100-200', 100, 'unsatisfiable'],
    ['bytes=-0', 100, 'unsatisfiable'],
    ['bytes=0-', 0, 'unsatisfiable'],
    ['bytes=-5', 0, 'unsatisfiable'],
    ['bytes=99999999999999999999-', 100, 'unsatisfiable'],
    ['bytes=5-4', 100, undefined],
    ['bytes=0-1,5-6', 100, undefined],
    ['items=0-1', 100, undefined],
    ['bytes=-', 100, undefined],
    ['bytes=a-b', 100, undefined],
  ];
  for (const [h, size, want] of cases) {
    it(`${JSON.stringify(h)} of ${size} bytes → ${JSON.stringify(want)}`, () => assert.deepEqual(parseByteRange(h, size), want));
  }
});
