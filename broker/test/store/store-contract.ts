import assert from 'node:assert/strict';
import { propertiesFor, type QoS } from '@causeway/shared';
import type { BrokerStore, NewMessage, PublishMeta, SessionState, StoredMessage } from '../../src/store/contract.js';
import { StoreError } from '../../src/store/store-error.js';

/** What a backend's test hands the contract: a fresh empty store, optionally a way to reopen its data. */
export interface StoreUnderTest {
  store: BrokerStore;
  /** Closes the store (if still open) and opens a new one on the same data. Absent for volatile backends. */
  reopen?: () => Promise<BrokerStore>;
  /** Closes whatever is still open and removes every file the build created. */
  cleanup: () => Promise<void>;
}

/** Builds a test message; every optional field only when given (exactOptionalPropertyTypes). */
export function makeMessage(
  topic: string,
  payload: string | Buffer,
  opts: { createdAt?: number; expiresAt?: number; qos?: QoS; retain?: boolean; meta?: PublishMeta; clientId?: string } = {},
): NewMessage {
  const qos = opts.qos ?? 1;
  const m: NewMessage = {
    topic,
    payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
    qos,
    retain: opts.retain ?? false,
    properties: propertiesFor(topic, opts.clientId === undefined ? { qos } : { qos, clientId: opts.clientId }),
    createdAt: opts.createdAt ?? Date.now(),
  };
  if (opts.meta !== undefined) m.meta = opts.meta;
  if (opts.expiresAt !== undefined) m.expiresAt = opts.expiresAt;
  return m;
}

const FULL_META: PublishMeta = {
  contentType: 'application/cbor',
  responseTopic: 'reply/gw1',
  correlationData: Buffer.from([0, 1, 2, 255]),
  payloadFormatIndicator: false,
  userProperties: { a: '1', multi: ['x', 'y'] },
};

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof StoreError, `expected StoreError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

async function appendOk(store: BrokerStore, m: NewMessage, queues: readonly string[], dedupeKey?: string) {
  const r = await store.log.append(m, queues, dedupeKey === undefined ? undefined : { dedupeKey });
  assert.equal(r.duplicate, false, 'append unexpectedly reported a duplicate');
  if (r.duplicate) throw new Error('unreachable');
  return r;
}

/**
 * The one contract every BrokerStore backend (memory, SQLite, JetStream) must pass. Call it from the
 * backend's own test file: `describeStoreContract('sqlite', async () => ({ store, reopen, cleanup }))`.
 */
export function describeStoreContract(name: string, build: () => Promise<StoreUnderTest>): void {
  describe(`BrokerStore contract: ${name}`, () => {
    let sut: StoreUnderTest;
    let store: BrokerStore;

    beforeEach(async () => {
      sut = await build();
      store = sut.store;
    });
    afterEach(async () => {
      await sut.cleanup();
    });

    describe('log: append and store once', () => {
      it('stores a message once however many queues index it', async () => {
        const m = makeMessage('telemetry/gw1/d1/temp', 'x'.repeat(100), { meta: FULL_META, expiresAt: Date.now() + 60_000 });
        const r = await appendOk(store, m, ['q:telemetry', 't:telemetry/gw1/d1/temp', 'f:telemetry/+/+/temp']);
        assert.deepEqual(r.offsets, { 'q:telemetry': 1, 't:telemetry/gw1/d1/temp': 1, 'f:telemetry/+/+/temp': 1 });
        assert.deepEqual(await store.log.stats(), { messages: 1, bytes: 100, queues: 3 });
        const got = await store.log.get(r.id);
        assert.deepEqual(got, { ...m, id: r.id });
        for (const q of Object.keys(r.offsets)) {
          const [entry] = await store.log.read(q, 1, 10);
          assert.equal(entry?.message.id, r.id);
          assert.deepEqual(entry?.message.payload, m.payload);
        }
      });

      it('round-trips every field of a message, optional ones omitted when absent', async () => {
        const cases: NewMessage[] = [
          makeMessage('a', ''),
          makeMessage('a/b', Buffer.from([0, 0xff, 0x10]), { qos: 0, retain: true, clientId: 'c1' }),
          makeMessage('a/b/c', 'p', { qos: 2, meta: FULL_META, expiresAt: Date.now() + 3_600_000, createdAt: 1234 }),
          makeMessage('a/b/c', 'p', { meta: { userProperties: { k: 'v' } } }),
        ];
        for (const m of cases) {
          const r = await appendOk(store, m, ['q:a']);
          assert.deepEqual(await store.log.get(r.id), { ...m, id: r.id });
        }
        assert.equal(await store.log.get(987654), undefined);
      });

      it('ignores duplicate queue names in one append', async () => {
        const r = await appendOk(store, makeMessage('a/b', '1'), ['q:a', 'q:a', 't:a/b']);
        assert.deepEqual(r.offsets, { 'q:a': 1, 't:a/b': 1 });
        assert.equal(await store.log.nextOffset('q:a'), 2);
      });

      it('stores a topic with an empty first level in the _root queue and its light queue (issue 15)', async () => {
        const r = await appendOk(store, makeMessage('/TopicA', 'x'), ['q:_root', 't:/TopicA']);
        assert.deepEqual(r.offsets, { 'q:_root': 1, 't:/TopicA': 1 });
        const [e] = await store.log.read('q:_root', 1, 10);
        assert.equal(e!.message.topic, '/TopicA');
        assert.equal(e!.message.properties.mqttSecondTopic, '/TopicA');
        assert.equal((await store.log.read('t:/TopicA', 1, 10)).length, 1);
      });

      it('stores a message indexed into no queue (e.g. retained only)', async () => {
        const r = await appendOk(store, makeMessage('a', 'z'), []);
        assert.deepEqual(r.offsets, {});
        assert.equal((await store.log.get(r.id))?.topic, 'a');
      });

      it('gives increasing ids and dense offsets per queue starting at 1', async () => {
        const steps: { queues: string[]; expect: Record<string, number> }[] = [
          { queues: ['A', 'B'], expect: { A: 1, B: 1 } },
          { queues: ['A'], expect: { A: 2 } },
          { queues: ['B', 'C'], expect: { B: 2, C: 1 } },
          { queues: ['A', 'B', 'C'], expect: { A: 3, B: 3, C: 2 } },
          { queues: ['C'], expect: { C: 3 } },
        ];
        let lastId = 0;
        for (const step of steps) {
          const r = await appendOk(store, makeMessage('x/y', 'p'), step.queues);
          assert.deepEqual(r.offsets, step.expect);
          assert.ok(r.id > lastId, `id ${r.id} not above ${lastId}`);
          lastId = r.id;
        }
        assert.deepEqual(
          [await store.log.nextOffset('A'), await store.log.nextOffset('B'), await store.log.nextOffset('C')],
          [4, 4, 4],
        );
      });

      it('keeps offsets dense and ids unique under concurrent appends', async () => {
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => appendOk(store, makeMessage('x', String(i)), i % 2 === 0 ? ['E', 'ALL'] : ['ALL'])),
        );
        const all = results.map((r) => r.offsets['ALL']).sort((a, b) => a! - b!);
        assert.deepEqual(all, Array.from({ length: 50 }, (_, i) => i + 1));
        assert.equal(new Set(results.map((r) => r.id)).size, 50);
        assert.equal(await store.log.nextOffset('E'), 26);
        // order in the queue is append (id) order
        const entries = await store.log.read('ALL', 1, 100);
        const ids = entries.map((e) => e.message.id);
        assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
      });

      it('rejects bad arguments with STORE_INVALID', async () => {
        await rejectsWith(store.log.append(makeMessage('a', 'p'), ['']), 'STORE_INVALID');
        await rejectsWith(store.log.read('A', -1, 10), 'STORE_INVALID');
        await rejectsWith(store.log.read('A', 1, 1.5), 'STORE_INVALID');
        await rejectsWith(store.offsets.setOffset('c', 'A', -3), 'STORE_INVALID');
      });
    });

    describe('log: read and positions', () => {
      beforeEach(async () => {
        for (const t of [1000, 2000, 3000, 4000, 5000]) {
          await appendOk(store, makeMessage('a/b', `m${t}`, { createdAt: t }), ['Q']);
        }
      });

      const reads: { from: number; max: number; offsets: number[] }[] = [
        { from: 1, max: 2, offsets: [1, 2] },
        { from: 0, max: 1, offsets: [1] },
        { from: 3, max: 10, offsets: [3, 4, 5] },
        { from: 5, max: 1, offsets: [5] },
        { from: 6, max: 10, offsets: [] },
        { from: 100, max: 10, offsets: [] },
        { from: 1, max: 0, offsets: [] },
      ];
      for (const c of reads) {
        it(`read(from ${c.from}, max ${c.max}) → [${c.offsets.join(',')}]`, async () => {
          const entries = await store.log.read('Q', c.from, c.max);
          assert.deepEqual(entries.map((e) => e.offset), c.offsets);
          for (const e of entries) {
            assert.equal(e.queue, 'Q');
            assert.equal(e.message.payload.toString(), `m${e.offset * 1000}`);
          }
        });
      }

      it('reads nothing from an unknown queue; its offsets are 1', async () => {
        assert.deepEqual(await store.log.read('nope', 1, 10), []);
        assert.equal(await store.log.nextOffset('nope'), 1);
        assert.equal(await store.log.firstOffset('nope'), 1);
        assert.equal(await store.log.offsetForTime('nope', 0), 1);
      });

      it('reports nextOffset and firstOffset', async () => {
        assert.equal(await store.log.nextOffset('Q'), 6);
        assert.equal(await store.log.firstOffset('Q'), 1);
      });

      const times: { t: number; offset: number }[] = [
        { t: 0, offset: 1 },
        { t: 1000, offset: 1 },
        { t: 1001, offset: 2 },
        { t: 2500, offset: 3 },
        { t: 5000, offset: 5 },
        { t: 5001, offset: 6 },
      ];
      for (const c of times) {
        it(`offsetForTime(${c.t}) → ${c.offset}`, async () => {
          assert.equal(await store.log.offsetForTime('Q', c.t), c.offset);
        });
      }
    });

    describe('log: dedupe', () => {
      it('makes a second append with the same key a duplicate that writes nothing', async () => {
        const first = await appendOk(store, makeMessage('a', '1'), ['Q'], 'gw1:e1');
        const again = await store.log.append(makeMessage('a', '1'), ['Q', 'R'], { dedupeKey: 'gw1:e1' });
        assert.deepEqual(again, { duplicate: true });
        await appendOk(store, makeMessage('a', '2'), ['Q'], 'gw1:e2');
        assert.equal(await store.log.nextOffset('Q'), 3);
        assert.equal(await store.log.nextOffset('R'), 1);
        assert.equal((await store.log.stats()).messages, 2);
        assert.equal((await store.log.get(first.id))?.payload.toString(), '1');
      });

      it('admits exactly one of many concurrent appends with the same key', async () => {
        const results = await Promise.all(
          Array.from({ length: 25 }, (_, i) => store.log.append(makeMessage('a', String(i)), ['Q'], { dedupeKey: 'same' })),
        );
        assert.equal(results.filter((r) => !r.duplicate).length, 1);
        assert.equal(await store.log.nextOffset('Q'), 2);
        assert.equal((await store.log.stats()).messages, 1);
      });

      it('forgets a key once retention removed its message', async () => {
        await appendOk(store, makeMessage('a', '1', { createdAt: 1000 }), ['Q'], 'k');
        assert.equal(await store.log.prune({ maxAgeMs: 1000, maxBytes: 0 }, 10_000), 1);
        await appendOk(store, makeMessage('a', '1', { createdAt: 10_000 }), ['Q'], 'k');
      });
    });

    describe('log: expiry and retention', () => {
      it('skips expired messages on read', async () => {
        const now = Date.now();
        await appendOk(store, makeMessage('a', 'gone', { expiresAt: now - 1 }), ['Q']);
        await appendOk(store, makeMessage('a', 'forever'), ['Q']);
        await appendOk(store, makeMessage('a', 'later', { expiresAt: now + 600_000 }), ['Q']);
        await appendOk(store, makeMessage('a', 'gone2', { expiresAt: now - 5000 }), ['Q']);
        const entries = await store.log.read('Q', 1, 10);
        assert.deepEqual(entries.map((e) => [e.offset, e.message.payload.toString()]), [[2, 'forever'], [3, 'later']]);
        // max counts delivered entries, not skipped ones
        assert.deepEqual((await store.log.read('Q', 1, 1)).map((e) => e.offset), [2]);
      });

      it('prunes by age: old records and their queue entries go, offsets are not reused', async () => {
        const now = 100_000;
        const a = await appendOk(store, makeMessage('a', 'old1', { createdAt: now - 10_000 }), ['Q', 'R']);
        await appendOk(store, makeMessage('a', 'old2', { createdAt: now - 5_000 }), ['Q']);
        await appendOk(store, makeMessage('a', 'new', { createdAt: now - 100 }), ['Q']);
        assert.equal(await store.log.prune({ maxAgeMs: 3_000, maxBytes: 0 }, now), 2);
        assert.equal(await store.log.get(a.id), undefined);
        assert.deepEqual((await store.log.read('Q', 1, 10)).map((e) => e.offset), [3]);
        assert.equal(await store.log.firstOffset('Q'), 3);
        assert.equal(await store.log.nextOffset('Q'), 4);
        assert.equal(await store.log.firstOffset('R'), 2);
        assert.equal(await store.log.nextOffset('R'), 2);
        assert.deepEqual(await store.log.read('R', 1, 10), []);
        const st = await store.log.stats();
        assert.equal(st.messages, 1);
        assert.equal(st.bytes, 3);
        // everything gone: the next append continues the offsets and the ids
        assert.equal(await store.log.prune({ maxAgeMs: 1, maxBytes: 0 }, now + 1_000_000), 1);
        const b = await appendOk(store, makeMessage('a', 'next'), ['Q', 'R']);
        assert.deepEqual(b.offsets, { Q: 4, R: 2 });
        assert.ok(b.id > a.id + 2);
      });

      it('prunes by bytes, oldest first, down to the limit', async () => {
        for (let i = 0; i < 5; i++) await appendOk(store, makeMessage('a', Buffer.alloc(100, i)), ['Q']);
        assert.equal(await store.log.prune({ maxAgeMs: 0, maxBytes: 250 }), 3);
        assert.deepEqual(await store.log.stats(), { messages: 2, bytes: 200, queues: 1 });
        const entries = await store.log.read('Q', 1, 10);
        assert.deepEqual(entries.map((e) => [e.offset, e.message.payload[0]]), [[4, 3], [5, 4]]);
        assert.equal(await store.log.firstOffset('Q'), 4);
      });

      it('prunes expired messages and nothing else under an unbounded policy', async () => {
        await appendOk(store, makeMessage('a', 'keep', { createdAt: 1 }), ['Q']);
        await appendOk(store, makeMessage('a', 'exp', { expiresAt: Date.now() - 1 }), ['Q']);
        assert.equal(await store.log.prune({ maxAgeMs: 0, maxBytes: 0 }), 1);
        assert.equal((await store.log.stats()).messages, 1);
        assert.equal(await store.log.prune({ maxAgeMs: 0, maxBytes: 0 }), 0);
      });
    });

    describe('retained', () => {
      async function retain(topic: string, payload: string, opts: { expiresAt?: number } = {}): Promise<StoredMessage> {
        const m = makeMessage(topic, payload, { ...opts, retain: true });
        const r = await appendOk(store, m, []);
        const stored = { ...m, id: r.id };
        await store.retained.setRetained(stored);
        return stored;
      }

      it('sets, replaces and clears with an empty payload [MQTT-3.3.1-10]', async () => {
        const first = await retain('a/b', 'one');
        assert.deepEqual(await store.retained.matchRetained('a/b'), [first]);
        const second = await retain('a/b', 'two');
        assert.deepEqual(await store.retained.matchRetained('a/b'), [second]);
        assert.equal(await store.retained.countRetained(), 1);
        await retain('a/b', '');
        assert.deepEqual(await store.retained.matchRetained('a/b'), []);
        assert.equal(await store.retained.countRetained(), 0);
      });

      // '/a' and '/a/b' have an empty first level (issue 15)
      const topics = ['a/b', 'a/c', 'a/b/c', 'a', '$SYS/x', 'b/b', '/a', '/a/b'];
      const filters: { filter: string; topics: string[] }[] = [
        { filter: '#', topics: ['a/b', 'a/c', 'a/b/c', 'a', 'b/b', '/a', '/a/b'] },
        { filter: '/#', topics: ['/a', '/a/b'] },
        { filter: '+/a', topics: ['/a'] },
        { filter: '/+/b', topics: ['/a/b'] },
        { filter: '/a', topics: ['/a'] },
        { filter: 'a/+', topics: ['a/b', 'a/c'] },
        { filter: 'a/#', topics: ['a/b', 'a/c', 'a/b/c', 'a'] },
        { filter: '+/b', topics: ['a/b', 'b/b'] },
        { filter: '+/+/c', topics: ['a/b/c'] },
        { filter: '+/x', topics: [] },
        { filter: '$SYS/#', topics: ['$SYS/x'] },
        { filter: '$SYS/+', topics: ['$SYS/x'] },
        { filter: 'a/b', topics: ['a/b'] },
        { filter: 'z/#', topics: [] },
      ];
      for (const c of filters) {
        it(`matchRetained('${c.filter}') → [${c.topics.join(', ')}]`, async () => {
          for (const t of topics) await retain(t, `p:${t}`);
          const got = await store.retained.matchRetained(c.filter);
          assert.deepEqual(got.map((m) => m.topic).sort(), [...c.topics].sort());
          for (const m of got) assert.equal(m.payload.toString(), `p:${m.topic}`);
        });
      }

      it('keeps retained messages through log retention, drops expired ones', async () => {
        const kept = await retain('a/b', 'keep');
        await retain('a/exp', 'gone', { expiresAt: Date.now() + 50 });
        await store.log.prune({ maxAgeMs: 1, maxBytes: 1 }, Date.now() + 10);
        assert.deepEqual(await store.retained.matchRetained('a/b'), [kept]);
        await new Promise((r) => setTimeout(r, 80));
        assert.deepEqual((await store.retained.matchRetained('#')).map((m) => m.topic), ['a/b']);
      });
    });

    describe('offsets', () => {
      it('get/set/list/delete per consumer', async () => {
        assert.equal(await store.offsets.getOffset('c1', 'Q'), undefined);
        await store.offsets.setOffset('c1', 'Q', 5);
        await store.offsets.setOffset('c1', 'R', 1);
        await store.offsets.setOffset('c2', 'Q', 9);
        await store.offsets.setOffset('c1', 'Q', 7);
        assert.equal(await store.offsets.getOffset('c1', 'Q'), 7);
        assert.deepEqual(await store.offsets.listOffsets('c1'), { Q: 7, R: 1 });
        assert.deepEqual(await store.offsets.listOffsets('c2'), { Q: 9 });
        assert.deepEqual(await store.offsets.listOffsets('none'), {});
        await store.offsets.deleteConsumer('c1');
        assert.equal(await store.offsets.getOffset('c1', 'Q'), undefined);
        assert.deepEqual(await store.offsets.listOffsets('c1'), {});
        assert.equal(await store.offsets.getOffset('c2', 'Q'), 9);
      });
    });

    describe('sessions', () => {
      const full: SessionState = {
        clientId: 'dev-1',
        protocolVersion: 5,
        expiryInterval: 0xffffffff,
        disconnectedAt: 1_700_000_000_000,
        subscriptions: [
          { filter: 'a/+', qos: 1 },
          { filter: 'b/#', qos: 2, noLocal: true, retainAsPublished: true, retainHandling: 2, subscriptionId: 42, shareGroup: 'g1' },
        ],
        inboundQos2: [1, 65535],
        outbound: [
          { packetId: 7, messageId: 12, qos: 1, stage: 'publish' },
          { packetId: 8, messageId: 13, qos: 2, stage: 'pubrel' },
        ],
      };
      const minimal: SessionState = { clientId: 'dev-2', protocolVersion: 4, expiryInterval: 0, subscriptions: [], inboundQos2: [], outbound: [] };

      it('round-trips every field; put replaces; delete removes', async () => {
        assert.equal(await store.sessions.getSession('dev-1'), undefined);
        await store.sessions.putSession(full);
        await store.sessions.putSession(minimal);
        assert.deepEqual(await store.sessions.getSession('dev-1'), full);
        assert.deepEqual(await store.sessions.getSession('dev-2'), minimal);
        const listed = await store.sessions.listSessions();
        assert.deepEqual(listed.sort((a, b) => a.clientId.localeCompare(b.clientId)), [full, minimal]);
        const reconnected: SessionState = { ...full, protocolVersion: 3, subscriptions: [] };
        delete reconnected.disconnectedAt;
        await store.sessions.putSession(reconnected);
        assert.deepEqual(await store.sessions.getSession('dev-1'), reconnected);
        await store.sessions.deleteSession('dev-1');
        assert.equal(await store.sessions.getSession('dev-1'), undefined);
        assert.deepEqual(await store.sessions.listSessions(), [minimal]);
      });

      it('is not changed by a caller mutating what it put or got', async () => {
        const mine = structuredClone(full);
        await store.sessions.putSession(mine);
        mine.inboundQos2.push(99);
        const got = await store.sessions.getSession('dev-1');
        got!.outbound.length = 0;
        assert.deepEqual(await store.sessions.getSession('dev-1'), full);
      });
    });

    it('rejects use after close with STORE_CLOSED', async () => {
      await store.close();
      await rejectsWith(store.log.append(makeMessage('a', 'p'), ['Q']), 'STORE_CLOSED');
      await rejectsWith(store.log.read('Q', 1, 1), 'STORE_CLOSED');
      await rejectsWith(store.sessions.listSessions(), 'STORE_CLOSED');
    });

    describe('durability across close and reopen', () => {
      it('keeps messages, offsets, dedupe keys, retained and sessions', async function () {
        if (sut.reopen === undefined) this.skip();
        const m = makeMessage('telemetry/gw1/d1/t', 'payload', { meta: FULL_META, expiresAt: Date.now() + 600_000, retain: true });
        const a = await appendOk(store, m, ['q:telemetry', 't:telemetry/gw1/d1/t'], 'gw1:1');
        await appendOk(store, makeMessage('telemetry/gw1/d1/t', 'second'), ['q:telemetry']);
        await store.retained.setRetained({ ...m, id: a.id });
        await store.offsets.setOffset('app', 'q:telemetry', 2);
        const session: SessionState = { clientId: 'c', protocolVersion: 5, expiryInterval: 60, subscriptions: [{ filter: 'x/#', qos: 1 }], inboundQos2: [3], outbound: [] };
        await store.sessions.putSession(session);

        store = await sut.reopen!();
        assert.deepEqual(await store.log.get(a.id), { ...m, id: a.id });
        assert.deepEqual((await store.log.read('q:telemetry', 1, 10)).map((e) => e.message.payload.toString()), ['payload', 'second']);
        assert.equal(await store.log.nextOffset('q:telemetry'), 3);
        assert.deepEqual(await store.log.stats(), { messages: 2, bytes: 13, queues: 2 });
        assert.deepEqual(await store.log.append(makeMessage('x', 'again'), ['q:telemetry'], { dedupeKey: 'gw1:1' }), { duplicate: true });
        assert.deepEqual(await store.retained.matchRetained('telemetry/#'), [{ ...m, id: a.id }]);
        assert.equal(await store.offsets.getOffset('app', 'q:telemetry'), 2);
        assert.deepEqual(await store.sessions.getSession('c'), session);
        const b = await appendOk(store, makeMessage('x', 'third'), ['q:telemetry']);
        assert.ok(b.id > a.id + 1);
        assert.deepEqual(b.offsets, { 'q:telemetry': 3 });
      });

      it('does not reuse offsets or ids after everything was pruned', async function () {
        if (sut.reopen === undefined) this.skip();
        const a = await appendOk(store, makeMessage('x', 'p', { createdAt: 1 }), ['Q']);
        await appendOk(store, makeMessage('x', 'p', { createdAt: 1 }), ['Q']);
        assert.equal(await store.log.prune({ maxAgeMs: 1, maxBytes: 0 }, 1_000), 2);
        store = await sut.reopen!();
        assert.equal(await store.log.nextOffset('Q'), 3);
        assert.equal(await store.log.firstOffset('Q'), 3);
        const b = await appendOk(store, makeMessage('x', 'p'), ['Q']);
        assert.deepEqual(b.offsets, { Q: 3 });
        assert.ok(b.id > a.id + 1);
      });
    });
  });
}
