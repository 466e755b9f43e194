import assert from 'node:assert/strict';
import { createLineFramer } from '../../../src/ingest/framing/line-framer.js';

interface Case {
  name: string;
  opts?: { delimiter?: string; maxLength?: number };
  chunks: (string | Buffer)[];
  frames: string[];
  drops?: string[];
  pending?: number;
}

const cases: Case[] = [
  { name: 'one whole line', chunks: ['a=1\n'], frames: ['a=1'] },
  { name: 'two lines in one chunk', chunks: ['a=1\nb=2\n'], frames: ['a=1', 'b=2'] },
  { name: 'line split across chunks', chunks: ['a=', '1', '\nb', '=2\n'], frames: ['a=1', 'b=2'] },
  { name: 'byte by byte', chunks: [...'x=10\ny=20\n'], frames: ['x=10', 'y=20'] },
  { name: 'CRLF stripped', chunks: ['a=1\r\nb=2\r\n'], frames: ['a=1', 'b=2'] },
  { name: 'empty lines skipped', chunks: ['\n\r\n\na=1\n\n'], frames: ['a=1'] },
  { name: 'partial frame held, not emitted', chunks: ['a=1\nb=2'], frames: ['a=1'], pending: 3 },
  { name: 'custom delimiter', opts: { delimiter: ';;' }, chunks: ['a;;b;', ';c'], frames: ['a', 'b'], pending: 1 },
  { name: 'exactly maxLength kept', opts: { maxLength: 5 }, chunks: ['12345\n'], frames: ['12345'] },
  { name: 'overlong in one chunk dropped, next line kept', opts: { maxLength: 5 }, chunks: ['123456\nok\n'], frames: ['ok'], drops: ['overlong'] },
  {
    name: 'overlong with no delimiter for many chunks: bounded, one drop, resync',
    opts: { maxLength: 8 },
    chunks: ['aaaaaaaaaa', 'bbbbbbbbbbbb', 'cccccccccc', 'dd\nnext\n'],
    frames: ['next'],
    drops: ['overlong'],
  },
  {
    name: 'garbage bytes pass framing (protocol refuses them)',
    chunks: [Buffer.from([0xff, 0xfe, 0x00, 0x0a, 0x61, 0x0a])],
    frames: ['\ufffd\ufffd\u0000', 'a'],
  },
];

describe('ingest/framing/line-framer', () => {
  for (const c of cases) {
    it(c.name, () => {
      const f = createLineFramer(c.opts ?? {});
      const frames: Buffer[] = [];
      const drops: string[] = [];
      let maxPending = 0;
      for (const ch of c.chunks) {
        const out = f.push(typeof ch === 'string' ? Buffer.from(ch) : ch);
        frames.push(...out.frames);
        drops.push(...out.drops.map((d) => d.reason));
        maxPending = Math.max(maxPending, f.pending);
      }
      assert.deepEqual(frames.map((b) => b.toString('utf8')), c.frames);
      assert.deepEqual(drops, c.drops ?? []);
      if (c.pending !== undefined) assert.equal(f.pending, c.pending);
      const max = c.opts?.maxLength ?? 1024;
      assert.ok(maxPending <= max + (c.opts?.delimiter ?? '\n').length, `held ${maxPending} bytes`);
    });
  }

  it('reset forgets a half line', () => {
    const f = createLineFramer();
    f.push(Buffer.from('temp=2'));
    f.reset();
    assert.deepEqual(f.push(Buffer.from('1\n')).frames.map(String), ['1']);
  });
});
