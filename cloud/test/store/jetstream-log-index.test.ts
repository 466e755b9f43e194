import assert from 'node:assert/strict';
import { LogIndex } from '../../src/store/jetstream/log-index.js';

describe('jetstream log index (pure)', () => {
  const rec = (id: number, createdAt = id * 1000, bytes = 10) => ({ id, createdAt, bytes });

  it('plans offsets from what it applied and ignores records applied twice', () => {
    const ix = new LogIndex();
    assert.deepEqual(ix.plan(['A', 'B']), { A: 1, B: 1 });
    ix.apply(rec(1), { A: 1, B: 1 });
    ix.apply(rec(1), { A: 1, B: 1 });
    ix.apply(rec(2), { A: 2 });
    assert.deepEqual(ix.plan(['A', 'B', 'C']), { A: 3, B: 2, C: 1 });
    assert.equal(ix.lastSeq, 2);
    assert.deepEqual(ix.stats(), { messages: 2, bytes: 20, queues: 2 });
  });

  it('keeps checkpointed counters above what replay of the surviving records gives', () => {
    const ix = new LogIndex();
    ix.restoreCounters({ A: 9, B: 4 });
    ix.apply(rec(5), { A: 6 });
    ix.apply(rec(6), { A: 7 });
    assert.deepEqual([ix.nextOffset('A'), ix.nextOffset('B'), ix.firstOffset('A'), ix.firstOffset('B')], [9, 4, 6, 4]);
    assert.deepEqual(ix.entries('A', 1, 10, 0).map((e) => e.offset), [6, 7]);
    assert.deepEqual(ix.entries('A', 7, 10, 0).map((e) => e.offset), [7]);
  });

  it('finds entries by offset across a gap left by pruning in the middle', () => {
    const ix = new LogIndex();
    for (let i = 1; i <= 5; i++) ix.apply(rec(i), { Q: i });
    ix.remove(3);
    assert.deepEqual(ix.entries('Q', 2, 10, 0).map((e) => e.offset), [2, 4, 5]);
    assert.deepEqual(ix.entries('Q', 3, 1, 0).map((e) => e.offset), [4]);
  });

  const prunes: { name: string; maxAgeMs: number; maxBytes: number; now: number; ids: number[]; oldest: boolean }[] = [
    { name: 'by age', maxAgeMs: 2500, maxBytes: 0, now: 5000, ids: [1, 2], oldest: true },
    { name: 'by bytes', maxAgeMs: 0, maxBytes: 25, now: 0, ids: [1, 2], oldest: true },
    { name: 'nothing', maxAgeMs: 0, maxBytes: 0, now: 10_000, ids: [], oldest: true },
  ];
  for (const c of prunes) {
    it(`prune candidates ${c.name}`, () => {
      const ix = new LogIndex();
      for (let i = 1; i <= 4; i++) ix.apply(rec(i), { Q: i });
      const ids = ix.pruneCandidates(c.maxAgeMs, c.maxBytes, c.now);
      assert.deepEqual(ids, c.ids);
      assert.equal(ix.isOldest(ids), c.oldest);
    });
  }

  it('takes an expired record in the middle but not as a purgeable prefix', () => {
    const ix = new LogIndex();
    ix.apply(rec(1), { Q: 1 });
    ix.apply({ ...rec(2), expiresAt: 50 }, { Q: 2 });
    ix.apply(rec(3), { Q: 3 });
    const ids = ix.pruneCandidates(0, 0, 100);
    assert.deepEqual(ids, [2]);
    assert.equal(ix.isOldest(ids), false);
  });

  it('forgets a dedupe key with its record', () => {
    const ix = new LogIndex();
    ix.apply({ ...rec(1), dedupeKey: 'k' }, { Q: 1 });
    assert.equal(ix.hasKey('k'), true);
    ix.remove(1);
    ix.trim();
    assert.equal(ix.hasKey('k'), false);
    assert.equal(ix.firstOffset('Q'), 2);
  });
});
