import assert from 'node:assert/strict';
import type { StoredMessage } from '../../../src/store/contract.js';
import { QueueTails } from '../../../src/store/sqlite/queue-tails.js';

function msg(id: number, extra: Partial<StoredMessage> = {}): StoredMessage {
  return { id, topic: 't', payload: Buffer.alloc(10), qos: 1, retain: false, properties: { qoslevel: 1, cleansessionflag: true, mqttRealTopic: 't' }, createdAt: 0, ...extra };
}

const offsets = (e: { offset: number }[] | undefined): number[] | undefined => e?.map((x) => x.offset);

describe('QueueTails: the last committed entries of each queue, in memory', () => {
  it('serves only committed entries; a rolled-back batch leaves nothing', () => {
    const t = new QueueTails({ maxMessages: 100, maxBytes: 1 << 20 });
    t.stage(1, 1, msg(1));
    assert.equal(t.read(1, 'q', 1, 10, 0), undefined, 'staged, not committed: not served');
    t.committed();
    assert.deepEqual(offsets(t.read(1, 'q', 1, 10, 0)), [1]);
    t.stage(1, 2, msg(2));
    t.rolledBack();
    t.stage(1, 2, msg(3));
    t.committed();
    assert.deepEqual(t.read(1, 'q', 1, 10, 0)?.map((e) => e.message.id), [1, 3]);
    assert.deepEqual(offsets(t.read(1, 'q', 3, 10, 0)), [], 'past the committed end: nothing more');
  });

  it('sends a read before its tail (or an unknown queue) to SQLite', () => {
    const t = new QueueTails({ maxMessages: 100, maxBytes: 1 << 20 });
    t.stage(1, 7, msg(1));
    t.committed();
    assert.equal(t.read(1, 'q', 6, 10, 0), undefined);
    assert.equal(t.read(2, 'r', 1, 10, 0), undefined);
    assert.deepEqual(offsets(t.read(1, 'q', 7, 10, 0)), [7]);
  });

  it('keeps only the most recent maxMessages messages; older reads go to SQLite', () => {
    const t = new QueueTails({ maxMessages: 8, maxBytes: 1 << 20 });
    for (let i = 1; i <= 40; i++) {
      const m = msg(i);
      t.stage(1, i, m);
      t.stage(2, i, m); // one message in two queues counts once
      t.committed();
    }
    assert.equal(t.read(1, 'q', 1, 10, 0), undefined);
    assert.equal(t.read(1, 'q', 32, 10, 0), undefined, 'just outside the window');
    assert.deepEqual(offsets(t.read(2, 'r', 33, 3, 0)), [33, 34, 35]);
    // swept: at most a quarter more than the window stays referenced
    assert.ok(t.size.entries <= 2 * 10, `entries held: ${t.size.entries}`);
  });

  it('keeps at most maxBytes of payload', () => {
    const t = new QueueTails({ maxMessages: 1000, maxBytes: 50 });
    for (let i = 1; i <= 20; i++) {
      t.stage(1, i, msg(i));
      t.committed();
    }
    assert.equal(t.read(1, 'q', 15, 10, 0), undefined);
    assert.deepEqual(offsets(t.read(1, 'q', 16, 10, 0)), [16, 17, 18, 19, 20]);
  });

  it('skips expired messages; max counts entries returned; clear() forgets everything', () => {
    const t = new QueueTails({ maxMessages: 100, maxBytes: 1 << 20 });
    t.stage(1, 1, msg(1, { expiresAt: 5 }));
    t.stage(1, 2, msg(2));
    t.stage(1, 3, msg(3, { expiresAt: 50 }));
    t.committed();
    assert.deepEqual(offsets(t.read(1, 'q', 1, 1, 10)), [2]);
    assert.deepEqual(offsets(t.read(1, 'q', 1, 10, 10)), [2, 3]);
    t.clear();
    assert.equal(t.read(1, 'q', 1, 10, 10), undefined);
  });
});
