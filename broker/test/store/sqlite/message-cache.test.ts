import assert from 'node:assert/strict';
import type { StoredMessage } from '../../../src/store/contract.js';
import { MessageCache } from '../../../src/store/sqlite/message-cache.js';
import { makeMessage } from '../store-contract.js';

function msg(id: number, bytes = 10): StoredMessage {
  return { ...makeMessage('a', Buffer.alloc(bytes)), id };
}

function ids(cache: MessageCache, candidates: number[]): number[] {
  // get() also refreshes recency; call it only at the end of a test
  return candidates.filter((id) => cache.get(id) !== undefined);
}

describe('MessageCache', () => {
  it('counts hits and misses', () => {
    const c = new MessageCache({ maxMessages: 10, maxBytes: 1000 });
    c.set(msg(1));
    assert.equal(c.get(1)?.id, 1);
    assert.equal(c.get(2), undefined);
    assert.deepEqual([c.hits, c.misses], [1, 1]);
  });

  it('charges each message its payload, topic and the entry overhead against the byte bound', () => {
    // topic 'a' (1 byte) + 10-byte payload + 89 overhead = 100 bytes a message: 10 fit in 1,000
    const c = new MessageCache({ maxMessages: 1000, maxBytes: 1000, entryOverhead: 89 });
    for (let id = 1; id <= 10; id++) c.set(msg(id));
    assert.equal(c.size, 10);
    c.set(msg(11)); // 1,100 > 1,000: evict down to 875 → 8 stay
    assert.equal(c.size, 8);
    assert.deepEqual(ids(c, [3, 4, 5, 6, 7, 8, 9, 10, 11]), [4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('evicts least recently used first, down to 7/8 of the count bound', () => {
    const c = new MessageCache({ maxMessages: 8, maxBytes: 1_000_000 });
    for (let id = 1; id <= 8; id++) c.set(msg(id));
    c.get(1); // 1 is now the most recently used
    c.set(msg(9)); // 9 entries > 8: evict down to 7 → 2 and 3 go
    assert.equal(c.size, 7);
    assert.deepEqual(ids(c, [1, 2, 3, 4, 5, 6, 7, 8, 9]), [1, 4, 5, 6, 7, 8, 9]);
  });

  const byteCases: { name: string; sizes: number[]; maxBytes: number; kept: number[] }[] = [
    { name: 'under the bound keeps all', sizes: [100, 100, 100], maxBytes: 400, kept: [1, 2, 3] },
    { name: 'over the bound drops the oldest', sizes: [100, 100, 100, 100, 100], maxBytes: 400, kept: [3, 4, 5] },
    { name: 'a message above a quarter of the budget is not cached', sizes: [50, 150, 50], maxBytes: 400, kept: [1, 3] },
  ];
  for (const t of byteCases) {
    it(`byte bound: ${t.name}`, () => {
      const c = new MessageCache({ maxMessages: 100, maxBytes: t.maxBytes });
      t.sizes.forEach((n, i) => c.set(msg(i + 1, n)));
      assert.deepEqual(ids(c, t.sizes.map((_, i) => i + 1)), t.kept);
    });
  }

  it('replacing and deleting keep the byte count right', () => {
    const c = new MessageCache({ maxMessages: 100, maxBytes: 400 });
    c.set(msg(1, 100));
    c.set(msg(1, 100));
    c.set(msg(2, 100));
    c.set(msg(3, 100));
    c.delete(2);
    c.set(msg(4, 100)); // 300 bytes: nothing evicted
    assert.deepEqual(ids(c, [1, 2, 3, 4]), [1, 3, 4]);
    c.clear();
    assert.equal(c.size, 0);
  });
});
