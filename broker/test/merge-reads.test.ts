import assert from 'node:assert/strict';
import { mergeReads, type QueueRead } from '../src/merge-reads.js';
import type { QueueEntry } from '../src/store/contract.js';

function e(queue: string, offset: number, id: number): QueueEntry {
  return { queue, offset, message: { id, topic: 't', payload: Buffer.alloc(0), qos: 1, retain: false, properties: { qoslevel: 1, cleansessionflag: true, mqttRealTopic: 't' }, createdAt: 0 } };
}

const cases: Array<{ name: string; reads: QueueRead[]; want: Array<[number, string[]]> }> = [
  { name: 'nothing', reads: [], want: [] },
  { name: 'one queue in order', reads: [{ queue: 'a', complete: true, entries: [e('a', 1, 10), e('a', 2, 11)] }], want: [[10, ['a:1']], [11, ['a:2']]] },
  {
    name: 'overlap: one message in two queues is delivered once with both positions',
    reads: [
      { queue: 'a', complete: true, entries: [e('a', 1, 10), e('a', 2, 12)] },
      { queue: 'b', complete: true, entries: [e('b', 5, 11), e('b', 6, 12)] },
    ],
    want: [[10, ['a:1']], [11, ['b:5']], [12, ['a:2', 'b:6']]],
  },
  {
    name: 'a cut-short read bounds the merge: later ids may still come in that queue',
    reads: [
      { queue: 'a', complete: false, entries: [e('a', 1, 10), e('a', 2, 11)] },
      { queue: 'b', complete: true, entries: [e('b', 1, 10), e('b', 2, 12), e('b', 3, 13)] },
    ],
    want: [[10, ['a:1', 'b:1']], [11, ['a:2']]],
  },
  {
    name: 'the tightest of several cut-short reads wins',
    reads: [
      { queue: 'a', complete: false, entries: [e('a', 1, 20)] },
      { queue: 'b', complete: false, entries: [e('b', 1, 15)] },
      { queue: 'c', complete: true, entries: [e('c', 1, 14), e('c', 2, 16)] },
    ],
    want: [[14, ['c:1']], [15, ['b:1']]],
  },
];

describe('broker: mergeReads', () => {
  for (const c of cases) {
    it(c.name, () => {
      const got = mergeReads(c.reads).map((m) => [m.message.id, m.positions.map((p) => `${p.queue}:${p.offset}`)]);
      assert.deepEqual(got, c.want);
    });
  }
});
