import assert from 'node:assert/strict';
import { copyTextLine, copyTextValue } from '../../../src/sinks/targets/copy-text.js';

describe('sinks/targets/copy-text: COPY text format', () => {
  const cases: Array<[unknown, string]> = [
    [null, '\\N'],
    [undefined, '\\N'],
    [1.5, '1.5'],
    [Number.NaN, '\\N'],
    [Infinity, '\\N'],
    [true, 't'],
    [false, 'f'],
    ['plain', 'plain'],
    ['a\tb\nc\rd\\e', 'a\\tb\\nc\\rd\\\\e'],
    ['nul\0dropped', 'nuldropped'],
    ['\\N', '\\\\N'],
    [{ a: 'x\ty' }, '{"a":"x\\\\ty"}'], // JSON's own \t, its backslash escaped for COPY
  ];
  for (const [v, want] of cases) it(`${JSON.stringify(v) ?? 'undefined'} → ${want}`, () => assert.equal(copyTextValue(v), want));

  it('a line: tab-separated, newline-terminated', () => assert.equal(copyTextLine(['gw1', 3, null]), 'gw1\t3\t\\N\n'));
});
