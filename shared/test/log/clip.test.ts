import assert from 'node:assert/strict';
import { clip, LOG_ID_CHARS } from '../../src/log/clip.js';

describe('shared/log/clip', () => {
  const CASES: Array<[string, number | undefined, string]> = [
    ['gw1', undefined, 'gw1'],
    ['x'.repeat(LOG_ID_CHARS), undefined, 'x'.repeat(LOG_ID_CHARS)],
    ['x'.repeat(60_000), undefined, `${'x'.repeat(LOG_ID_CHARS)}… (60000 chars)`],
    ['abcdef', 3, 'abc… (6 chars)'],
    ['ab😀cd', 3, 'ab… (6 chars)'], // the emoji's surrogate pair is not split
    ['', 3, ''],
  ];
  for (const [s, max, want] of CASES) {
    it(`clips ${JSON.stringify(s.slice(0, 12))}${s.length > 12 ? '…' : ''} to ${max ?? 'the default'}`, () => {
      assert.equal(clip(s, max), want);
      assert.ok(clip(s, max).isWellFormed());
    });
  }
});
