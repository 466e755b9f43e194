import assert from 'node:assert/strict';
import { intFlag, listFlag, parseArgs } from '../lib/args.js';
import { formatFigure, markdownBlock, ratioFor, textTable } from '../lib/report.js';
import type { BenchResult } from '../lib/result.js';

const result: BenchResult = {
  name: 'demo',
  unit: 'ops/s',
  rows: [
    { case: 'x', contender: 'causeway', ours: true, value: 3000 },
    { case: 'x', contender: 'rival', ours: false, value: 1500, detail: 'a|b' },
    { case: 'y', contender: 'causeway', ours: true, skipped: 'not runnable yet' },
    { case: 'y', contender: 'rival', ours: false, value: 10 },
  ],
  notes: ['one note'],
};

describe('bench report', () => {
  const figures: Array<[number, string]> = [[1234567.8, '1,234,568'], [100, '100'], [12.345, '12.3'], [0.5, '0.500'], [NaN, 'NaN']];
  for (const [v, s] of figures) it(`formats ${v} as ${s}`, () => assert.equal(formatFigure(v), s));

  it('gives causeway ÷ contender per case, and a dash when causeway has no figure', () => {
    assert.equal(ratioFor(result.rows[0]!, result.rows), '1.00×');
    assert.equal(ratioFor(result.rows[1]!, result.rows), '2.00×');
    assert.equal(ratioFor(result.rows[3]!, result.rows), '—');
  });

  it('prints skipped rows with their reason in the text table and the markdown block', () => {
    const text = textTable(result);
    assert.match(text, /causeway\s+skipped\s+—\s+not runnable yet/);
    const md = markdownBlock(result, { cpu: 'CPU X', cores: 2, ramGiB: 4, node: 'v20', os: 'Linux', load: [1, 2, 3] }, 'npm run bench -- demo', new Date('2026-01-02T03:04:05Z'));
    assert.match(md, /^### demo — 2026-01-02 03:04 UTC$/m);
    assert.match(md, /CPU X, 2 cores, 4 GiB RAM, Node v20, Linux; load average at start 1 \/ 2 \/ 3/);
    assert.match(md, /`npm run bench -- demo`/);
    assert.match(md, /\| x \| rival \| 1,500 \| 2\.00× \| a\\\|b \|/);
    assert.match(md, /^- one note$/m);
  });
});

describe('bench args', () => {
  it('parses --k v, --k=v, bare flags and positionals', () => {
    const { positional, flags } = parseArgs(['fan-out', '--quick', '--subs', '50', '--qos=0,1', '--', '--x']);
    assert.deepEqual(positional, ['fan-out']);
    assert.deepEqual(flags, { quick: true, subs: '50', qos: '0,1', x: true });
    assert.equal(intFlag(flags, 'subs', 200), 50);
    assert.equal(intFlag(flags, 'absent', 200), 200);
    assert.deepEqual(listFlag(flags, 'qos', []), ['0', '1']);
  });

  it('names the flag when a number is not a positive integer', () => {
    assert.throws(() => intFlag({ subs: 'many' }, 'subs', 1), /--subs must be a positive integer, got many/);
    assert.throws(() => intFlag({ subs: true }, 'subs', 1), /--subs/);
  });
});
