import assert from 'node:assert/strict';
import { boundedLines, type BoundedLine } from '../../src/input/bounded-lines.js';

const run = (max: number, chunks: string[]): BoundedLine[] => {
  const s = boundedLines(max);
  return [...chunks.flatMap((c) => s.push(Buffer.from(c))), ...s.end()];
};

describe('input/bounded-lines', () => {
  const cases: Array<[string, number, string[], BoundedLine[]]> = [
    ['lines across chunks', 10, ['ab', 'c\nde', 'f\n'], [{ text: 'abc' }, { text: 'def' }]],
    ['empty lines are reported (line numbers stay those of the input)', 10, ['a\n\nb\n'], [{ text: 'a' }, { text: '' }, { text: 'b' }]],
    ['CRLF is stripped; a CRLF line of exactly max fits', 3, ['abc\r\n'], [{ text: 'abc' }]],
    ['a line over max in one chunk is overlong', 3, ['abcd\nok\n'], [{ overlong: 4 }, { text: 'ok' }]],
    ['a line over max across chunks is counted, not held', 3, ['ab', 'cdef', 'gh', 'i\nok\n'], [{ overlong: 9 }, { text: 'ok' }]],
    ['the last line without a newline comes at the end', 10, ['a\nb'], [{ text: 'a' }, { text: 'b' }]],
    ['an overlong last line without a newline is reported at the end', 2, ['a\nbcde'], [{ text: 'a' }, { overlong: 4 }]],
  ];
  for (const [name, max, chunks, want] of cases) it(name, () => assert.deepEqual(run(max, chunks), want));

  it('holds at most max + 1 bytes of a 5 MB line', () => {
    const s = boundedLines(1024);
    const chunk = Buffer.alloc(64 * 1024, 0x78);
    let out: BoundedLine[] = [];
    for (let i = 0; i < 80; i++) out = out.concat(s.push(chunk));
    out = out.concat(s.push(Buffer.from('\n{"x":1}\n')));
    assert.deepEqual(out, [{ overlong: 80 * 64 * 1024 }, { text: '{"x":1}' }]);
  });
});
