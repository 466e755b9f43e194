import { prng } from '@causeway/shared';
import assert from 'node:assert/strict';
import { garbageLine, isBurst, planWrites, type MisbehaviourOptions } from '../../src/devices/misbehaviour.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

describe('firmware-sim/devices/misbehaviour', () => {
  const table: [string, number, MisbehaviourOptions, string[], boolean, number][] = [
    ['no modes: the line as is', 0, {}, [], true, 1],
    ['garbage on every 3rd (seq 2)', 2, { garbageEvery: 3 }, ['garbage'], true, 1],
    ['garbage not on seq 1', 1, { garbageEvery: 3 }, [], true, 1],
    ['partial replaces the message', 4, { partialEvery: 5 }, ['partial'], false, 1],
    ['overlong before the message', 0, { overlongEvery: 1, overlongBytes: 50 }, ['overlong'], true, 1],
    ['split into two writes', 1, { splitEvery: 2 }, ['split'], true, 2],
    ['everything at once', 0, { garbageEvery: 1, overlongEvery: 1, partialEvery: 1, splitEvery: 1 }, ['garbage', 'overlong', 'partial', 'split'], false, 2],
  ];
  for (const [name, seq, opts, injected, delivered, writes] of table) {
    it(name, () => {
      const line = '{"seq":1,"temp":21.5}';
      const p = planWrites(seq, [line], opts, prng(1));
      assert.deepEqual(p.injected, injected);
      assert.equal(p.delivered, delivered);
      assert.equal(p.writes.length, writes);
      const all = Buffer.concat(p.writes);
      const lines = all.toString('latin1').split('\n').slice(0, -1);
      assert.equal(all.at(-1), 0x0a, 'always ends a line');
      if (delivered) assert.equal(lines.at(-1), line);
      else {
        const cut = lines.at(-1)!;
        assert.ok(cut.length >= 1 && cut.length < line.length && line.startsWith(cut), cut);
      }
      if (opts.overlongBytes) assert.ok(lines.some((l) => l.length === opts.overlongBytes));
    });
  }
  it('garbage lines are never valid UTF-8 and hold no line break', () => {
    const r = prng(42);
    for (let i = 0; i < 500; i++) {
      const g = garbageLine(r);
      assert.equal(g.indexOf(0x0a), g.length - 1);
      assert.equal(g.indexOf(0x0d), -1);
      assert.throws(() => utf8.decode(g.subarray(0, -1)));
    }
  });
  it('bursts on every Nth message', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((s) => isBurst(s, { burstEvery: 3 })), [false, false, true, false, false, true]);
    assert.equal(isBurst(0, {}), false);
  });
});
