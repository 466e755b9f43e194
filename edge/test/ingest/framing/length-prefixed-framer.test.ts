import assert from 'node:assert/strict';
import { createLengthPrefixedFramer, type LengthPrefixedOptions } from '../../../src/ingest/framing/length-prefixed-framer.js';

const frame = (payload: string, lb = 2, sync?: number): Buffer => {
  const p = Buffer.from(payload);
  const h = Buffer.alloc(lb);
  if (lb === 1) h.writeUInt8(p.length);
  else if (lb === 2) h.writeUInt16BE(p.length);
  else h.writeUInt32BE(p.length);
  return Buffer.concat([sync === undefined ? Buffer.alloc(0) : Buffer.from([sync]), h, p]);
};

interface Case {
  name: string;
  opts?: LengthPrefixedOptions;
  chunks: Buffer[];
  frames: string[];
  drops?: string[];
  pending?: number;
}

const two = Buffer.concat([frame('abc'), frame('de')]);
const cases: Case[] = [
  { name: 'one frame', chunks: [frame('hello')], frames: ['hello'] },
  { name: 'two frames in one chunk', chunks: [two], frames: ['abc', 'de'] },
  { name: 'split inside the header', chunks: [two.subarray(0, 1), two.subarray(1)], frames: ['abc', 'de'] },
  { name: 'byte by byte', chunks: [...two].map((b) => Buffer.from([b])), frames: ['abc', 'de'] },
  { name: 'partial payload held', chunks: [frame('hello').subarray(0, 4)], frames: [], pending: 4 },
  { name: '1-byte length', opts: { lengthBytes: 1 }, chunks: [Buffer.concat([frame('x', 1), frame('yz', 1)])], frames: ['x', 'yz'] },
  { name: '4-byte length', opts: { lengthBytes: 4 }, chunks: [frame('four', 4)], frames: ['four'] },
  { name: 'zero-length frame', chunks: [frame('')], frames: [''] },
  { name: 'oversized without sync: held bytes dropped', opts: { maxLength: 4 }, chunks: [Buffer.concat([frame('toolong'), frame('ok')])], frames: [], drops: ['oversized'] },
  {
    name: 'oversized with sync: resync on the next sync byte',
    opts: { maxLength: 4, sync: 0xaa },
    chunks: [Buffer.concat([frame('toolong', 2, 0xaa), frame('ok', 2, 0xaa)])],
    frames: ['ok'],
    drops: ['oversized', 'malformed'],
  },
  {
    name: 'garbage before a sync byte skipped and counted',
    opts: { sync: 0xaa },
    chunks: [Buffer.from([1, 2, 3]), frame('ok', 2, 0xaa)],
    frames: ['ok'],
    drops: ['malformed'],
  },
];

describe('ingest/framing/length-prefixed-framer', () => {
  for (const c of cases) {
    it(c.name, () => {
      const f = createLengthPrefixedFramer(c.opts ?? {});
      const frames: string[] = [];
      const drops: string[] = [];
      for (const ch of c.chunks) {
        const out = f.push(ch);
        frames.push(...out.frames.map((b) => b.toString()));
        drops.push(...out.drops.map((d) => d.reason));
      }
      assert.deepEqual(frames, c.frames);
      assert.deepEqual(drops, c.drops ?? []);
      if (c.pending !== undefined) assert.equal(f.pending, c.pending);
    });
  }
});
