import assert from 'node:assert/strict';
import { PendingRecords, type PendingItem } from '../../src/store/pending-records.js';

const item = (id: number, at: number, topic = 't/a', kind: 'reading' | 'event' = 'reading', priority = 1): PendingItem => ({
  id,
  at,
  row: { kind, topic, device: 'd', stream: 's', body: Buffer.alloc(10), priority, created: at, bytes: 10 },
  expires: at + 1000,
  resolve: () => undefined,
  reject: () => undefined,
});
const F = { n: 10, maxRecords: 3, maxBytes: 1 << 20, delayMs: 0, now: 1000, epoch: 'ep' };

describe('store/pending-records', () => {
  it('forms batches per topic in id order, bounded by maxRecords, ids from the first item', () => {
    const q = new PendingRecords();
    for (const [id, t] of [[1, 't/a'], [2, 't/b'], [3, 't/a'], [4, 't/a'], [5, 't/a']] as const) q.add(item(id, 0, t));
    const { batches } = q.form(F);
    assert.deepEqual(batches.map((b) => [b.id, b.items.map((p) => p.id)]), [['ep-1', [1, 3, 4]], ['ep-5', [5]], ['ep-2', [2]]]);
    assert.equal(q.unsent, 0);
  });

  it('alarms first; events and envelopes are never formed here', () => {
    const q = new PendingRecords();
    q.add(item(1, 0, 't/a'));
    q.add(item(2, 0, 'e/x', 'event', 0));
    q.add(item(3, 0, 't/alarm', 'reading', 0));
    assert.deepEqual(q.form(F).batches.map((b) => b.id), ['ep-3', 'ep-1']);
    assert.equal(q.unsent, 1);
  });

  it('the batch delay holds a lone reading and says when it is due; a busy queue does not wait', () => {
    const q = new PendingRecords();
    q.add(item(1, 990));
    const held = q.form({ ...F, delayMs: 100 });
    assert.deepEqual(held, { batches: [], wakeAt: 1090 });
    for (let i = 2; i <= 3; i++) q.add(item(i, 995, `t/${i}`));
    assert.equal(q.form({ ...F, delayMs: 100 }).batches.length, 3, 'three waiting readings fill a batch of 3: send now');
  });

  it('takeDue: once anything is due, every item not out on the direct path goes with it (one commit, not one per item)', () => {
    const q = new PendingRecords();
    q.add(item(1, 0, 't/a'));
    q.add(item(2, 50, 't/b'));
    q.form(F); // ep-1 and ep-2 out on the direct path
    q.add(item(3, 60, 't/c'));
    q.add(item(4, 900, 't/d'));
    assert.deepEqual(q.takeDue(-1), []);
    assert.deepEqual(q.takeDue(0).map((p) => p.id), [1, 3, 4]);
    assert.deepEqual(q.formed(new Set()).map((b) => b.id), ['ep-2'], 'a young direct batch stays out, awaiting its PUBACK');
  });

  it('takeDue takes the due prefix plus whole batches, in id order; ack settles a batch in memory', () => {
    const q = new PendingRecords();
    q.add(item(1, 0, 't/a'));
    q.add(item(2, 5, 't/b'));
    q.add(item(3, 50, 't/a'));
    q.add(item(4, 60, 't/c'));
    const { batches } = q.form(F); // ep-1 = [1, 3], ep-2 = [2], ep-4 = [4]
    assert.deepEqual(q.takeDue(1).map((p) => [p.id, p.batch]), [[1, 'ep-1'], [3, 'ep-1']]);
    assert.equal(q.isDirect('ep-1'), false, 'written: no longer a memory batch');
    assert.deepEqual(q.ack('ep-2')?.map((p) => p.id), [2]);
    assert.equal(q.ack('ep-1'), undefined);
    assert.deepEqual(q.formed(new Set()).map((b) => b.id), ['ep-4']);
    assert.equal(batches.length, 3);
    assert.equal(q.size, 1);
    assert.deepEqual(q.takeDue().map((p) => p.id), [4]);
    assert.equal(q.size, 0);
  });
});
