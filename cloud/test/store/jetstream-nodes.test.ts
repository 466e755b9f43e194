import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'nats';
import { decodeHeaders } from '../../src/store/jetstream/message-codec.js';
import { createJetStreamNotify } from '../../src/store/jetstream/jetstream-notify.js';
import { normalizeJetStreamOptions } from '../../src/store/jetstream/jetstream-options.js';
import { type JetStreamStore, destroyJetStreamStore, openJetStreamStore } from '../../src/store/jetstream/jetstream-store.js';
import { ensureQueueConsumer } from '../../src/store/jetstream/queue-consumer.js';
import { natsForSuite } from './jetstream-server.js';
import { makeMessage } from '../../../broker/test/store/store-contract.js';

/** Two Causeway nodes (two stores, two NATS connections) sharing one JetStream: what issue 9 needs of the store. */
describe('jetstream store: several nodes on one JetStream @e2e', function () {
  this.timeout(30_000);
  const nats = natsForSuite(1);
  let prefix: string;
  let a: JetStreamStore;
  let b: JetStreamStore;

  beforeEach(async () => {
    prefix = `n${randomBytes(4).toString('hex')}`;
    a = await openJetStreamStore({ servers: nats.urls, prefix, name: 'node-a' });
    b = await openJetStreamStore({ servers: nats.urls, prefix, name: 'node-b' });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    const nc = await connect({ servers: nats.urls });
    await destroyJetStreamStore(await nc.jetstreamManager(), normalizeJetStreamOptions({ servers: nats.urls, prefix }));
    await nc.close();
  });

  it('keeps per-queue offsets dense and ids unique when both nodes append at once', async () => {
    const n = 100;
    const results = await Promise.all(
      Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 ? a : b).log.append(makeMessage('x/y', `m${i}`), i % 4 === 0 ? ['ALL', 'SOME'] : ['ALL'])),
    );
    const ok = results.map((r) => (r.duplicate ? assert.fail('duplicate') : r));
    // appends queued together went out as pipelined chains, not one round trip each
    assert.ok(a.log.pipeline.chains + b.log.pipeline.chains < n, `${a.log.pipeline.chains} + ${b.log.pipeline.chains} chains for ${2 * n} appends`);
    assert.deepEqual(ok.map((r) => r.offsets.ALL).sort((x, y) => x! - y!), Array.from({ length: 2 * n }, (_, i) => i + 1));
    assert.deepEqual(ok.map((r) => r.offsets.SOME).filter((o) => o !== undefined).sort((x, y) => x! - y!), Array.from({ length: n / 2 }, (_, i) => i + 1));
    assert.equal(new Set(ok.map((r) => r.id)).size, 2 * n);
    const last = Math.max(...ok.map((r) => r.id));
    assert.ok(await a.log.waitForSeq(last));
    assert.ok(await b.log.waitForSeq(last));
    const fromA = await a.log.read('ALL', 1, 1000);
    const fromB = await b.log.read('ALL', 1, 1000);
    assert.equal(fromA.length, 2 * n);
    assert.deepEqual(fromB.map((e) => [e.offset, e.message.id, e.message.payload.toString()]), fromA.map((e) => [e.offset, e.message.id, e.message.payload.toString()]));
    // queue order is id order on both nodes
    const ids = fromA.map((e) => e.message.id);
    assert.deepEqual(ids, [...ids].sort((x, y) => x - y));
  });

  it('a node whose tail stalled (its consumer lost with a dead nats-server) still wins appends against a busy node: it fetches what it missed at once, no 500 ms wait per lost race [issue 23]', async () => {
    // a's tail stops as when the server holding its ordered consumer dies; b keeps appending
    (a.log as unknown as { tail: { stop(): void } }).tail.stop();
    let running = true;
    const busy = (async () => {
      let i = 0;
      while (running) {
        await b.log.append(makeMessage('x/y', `b${i++}`), ['ALL']);
        await new Promise((r) => setTimeout(r, 5)); // ~150 appends/s, like a node with busy publishers
      }
    })();
    try {
      await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      for (let i = 0; i < 8; i++) {
        const r = await a.log.append(makeMessage('x/y', `a${i}`), ['ALL']);
        assert.equal(r.duplicate, false);
      }
      const took = Date.now() - t0;
      assert.ok(took < 3000, `8 appends took ${took} ms`);
      assert.ok(a.log.directCatchUps > 0, 'the stalled tail was never bypassed');
    } finally {
      running = false;
      await busy;
    }
    const all = await b.log.read('ALL', 1, 100_000);
    assert.deepEqual(all.map((e) => e.offset), all.map((_, i) => i + 1), 'offsets not dense');
    assert.equal(all.filter((e) => e.message.payload.toString().startsWith('a')).length, 8);
  });

  it('a node whose tail stalled still reaches another node\'s announced sequence (so its subscribers get the message) [issue 23]', async () => {
    (a.log as unknown as { tail: { stop(): void } }).tail.stop();
    const r = await b.log.append(makeMessage('x/y', 'from b'), ['ALL']);
    assert.equal(r.duplicate, false);
    const t0 = Date.now();
    assert.equal(await a.log.reach(r.duplicate ? 0 : r.id), true);
    assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
    assert.deepEqual((await a.log.read('ALL', 1, 10)).map((e) => e.message.payload.toString()), ['from b']);
  });

  it('admits exactly one of concurrent appends with the same dedupe key across nodes', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).log.append(makeMessage('x', String(i)), ['Q'], { dedupeKey: 'gw1:e1' })),
    );
    assert.equal(results.filter((r) => !r.duplicate).length, 1);
    assert.equal(await a.log.nextOffset('Q'), 2);
    assert.equal(await b.log.nextOffset('Q'), 2);
  });

  it('stores one stream record per append however many queues index it', async () => {
    const queues = Array.from({ length: 50 }, (_, i) => `f:fan/${i}/#`);
    await a.log.append(makeMessage('fan/out', Buffer.alloc(100_000, 7)), queues);
    const info = await a.jsm.streams.info(a.options.names.stream);
    assert.equal(info.state.messages, 1);
    assert.ok(info.state.bytes < 110_000, `stream holds ${info.state.bytes} bytes`);
  });

  it("indexes a publish on one node into the other node's wildcard light queues", async () => {
    // node A: a session subscribes to tel/+/t (the broker asks for the light queue's next offset)
    assert.equal(await a.log.nextOffset('f:tel/+/t'), 1);
    // node B's broker knows no such subscriber: it names only the queues it knows
    let r = await b.log.append(makeMessage('tel/x/t', 'one'), ['q:tel', 't:tel/x/t']);
    for (let i = 0; i < 50 && !r.duplicate && r.offsets['f:tel/+/t'] === undefined; i++) {
      // the registration reaches B through a KV watch: allow it a moment, once
      await new Promise((res) => setTimeout(res, 20));
      r = await b.log.append(makeMessage('tel/x/t', 'one'), ['q:tel', 't:tel/x/t']);
    }
    assert.ok(!r.duplicate);
    assert.equal(r.offsets['f:tel/+/t'], 1);
    const other = await b.log.append(makeMessage('tel/x/other', 'no'), ['q:tel']);
    assert.ok(!other.duplicate && other.offsets['f:tel/+/t'] === undefined);
    assert.ok(await a.log.waitForSeq(other.id));
    assert.deepEqual((await a.log.read('f:tel/+/t', 1, 10)).map((e) => e.message.payload.toString()), ['one']);
    // a node opened later loads the registered filters before its first append
    const c = await openJetStreamStore({ servers: nats.urls, prefix, name: 'node-c' });
    try {
      const rc = await c.log.append(makeMessage('tel/y/t', 'two'), ['q:tel']);
      assert.ok(!rc.duplicate && rc.offsets['f:tel/+/t'] === 2);
    } finally {
      await c.close();
    }
  });

  it('a node whose NATS connection is closed under it (dying without close()) stops tailing the log', async () => {
    const c = await openJetStreamStore({ servers: nats.urls, prefix, name: 'node-c' });
    const complaints: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => {
      complaints.push(args.map(String).join(' '));
    };
    try {
      await c.nc.close();
      // The tail consumer checks its heartbeats every 2 s (idle_heartbeat 1000 ms, expires 2000 ms); one left
      // running on the closed connection says "aborting resetPending - connection is closed" at each check.
      await new Promise((r) => setTimeout(r, 5000));
    } finally {
      console.error = original;
      await c.close().catch(() => undefined);
    }
    assert.deepEqual(complaints, []);
  });

  it('tells the other node what it pruned', async () => {
    const r1 = await a.log.append(makeMessage('x', 'old', { createdAt: 1000 }), ['Q']);
    const r2 = await a.log.append(makeMessage('x', 'new'), ['Q']);
    assert.ok(!r2.duplicate && (await b.log.waitForSeq(r2.id)));
    assert.equal((await b.log.stats()).messages, 2);
    assert.equal(await a.log.prune({ maxAgeMs: 60_000, maxBytes: 0 }), 1);
    for (let i = 0; i < 250 && (await b.log.stats()).messages !== 1; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await b.log.stats()).messages, 1);
    assert.equal(await b.log.get(!r1.duplicate ? r1.id : 0), undefined);
    assert.equal(await b.log.firstOffset('Q'), 2);
  });

  it('notifies the other node with coalesced topics it can pull at once; never itself; counts junk', async () => {
    const got: { topics: string[]; from: string }[] = [];
    const mine: string[][] = [];
    const na = createJetStreamNotify(a.nc, { subject: a.options.names.notifySubject, nodeId: 'A', onRemote: (t) => mine.push(t), waitForSeq: (s) => a.log.waitForSeq(s) });
    const pulled: string[] = [];
    const nb = createJetStreamNotify(b.nc, {
      subject: b.options.names.notifySubject,
      nodeId: 'B',
      waitForSeq: (s) => b.log.waitForSeq(s),
      onRemote: (topics, from) => {
        got.push({ topics, from });
        // the pull: B's index already has A's appends
        void b.log.read('t:tel/gw1/t', 1, 100).then((es) => pulled.push(...es.map((e) => e.message.payload.toString())));
      },
    });
    try {
      await a.nc.flush();
      await b.nc.flush();
      const appends = [];
      for (let i = 0; i < 30; i++) {
        const topic = `tel/gw${i % 3}/t`;
        appends.push(a.log.append(makeMessage(topic, `p${i}`), ['q:tel', `t:${topic}`]).then((r) => !r.duplicate && na.notify(topic, r.id)));
      }
      await Promise.all(appends);
      na.flush();
      b.nc.publish(b.options.names.notifySubject, Buffer.from('not json'));
      for (let i = 0; i < 250 && (pulled.length < 10 || nb.counters.malformed < 1); i++) await new Promise((r) => setTimeout(r, 20));
      const topics = got.flatMap((g) => g.topics);
      assert.deepEqual([...new Set(topics)].sort(), ['tel/gw0/t', 'tel/gw1/t', 'tel/gw2/t']);
      assert.ok(na.counters.sent < 30, `sent ${na.counters.sent} messages for 30 appends`);
      assert.equal(na.counters.notified, 30);
      assert.ok(got.every((g) => g.from === 'A'));
      assert.deepEqual(mine, []);
      assert.equal(nb.counters.malformed, 1);
      assert.ok(pulled.length >= 10, `pulled ${pulled.length}`);
      assert.ok(['p1', 'p28'].every((p) => pulled.includes(p)));
    } finally {
      await na.close();
      await nb.close();
    }
  });

  it('finds retained messages set on the other node, exact and by wildcard, without a consumer per lookup', async () => {
    const consumers = async (): Promise<number> => (await a.jsm.streams.info(`KV_${a.options.names.retainedBucket}`)).state.consumer_count;
    const before = await consumers(); // each node's index watch
    for (let i = 0; i < 20; i++) await a.retained.setRetained({ ...makeMessage(`status/gw${i}`, `up${i}`, { retain: true }), id: i + 1 });
    await a.retained.setRetained({ ...makeMessage('$SYS/x', 'sys', { retain: true }), id: 100 });
    // an exact topic is a direct read: seen on B at once
    assert.deepEqual((await b.retained.matchRetained('status/gw3')).map((m) => m.payload.toString()), ['up3']);
    // wildcards go through B's index, fed by its watch of the bucket
    const deadline = Date.now() + 5000;
    while ((await b.retained.matchRetained('status/+')).length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await b.retained.matchRetained('status/+')).length, 20);
    assert.deepEqual((await b.retained.matchRetained('#')).length, 20, 'a first-level wildcard never matches $ topics');
    // cleared on A: gone on B
    await a.retained.setRetained({ ...makeMessage('status/gw3', '', { retain: true }), id: 200 });
    assert.deepEqual(await a.retained.matchRetained('status/gw3'), []);
    assert.equal((await a.retained.matchRetained('status/+')).length, 19);
    while ((await b.retained.matchRetained('status/+')).length !== 19 && Date.now() < deadline + 5000) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await b.retained.matchRetained('status/+')).length, 19);
    for (let i = 0; i < 50; i++) await b.retained.matchRetained(`status/gw${i}/+`);
    assert.equal(await consumers(), before, 'lookups created consumers on the retained bucket');
  });

  it('lets a native NATS client consume a server-side queue through a durable consumer', async () => {
    await a.log.append(makeMessage('telemetry/gw1/d1/temp', '21.5', { meta: { contentType: 'text/plain' } }), ['q:telemetry']);
    await a.log.append(makeMessage('other/x', 'no'), ['q:other']);
    await a.log.append(makeMessage('telemetry/gw2/d9/hum', '40'), ['q:telemetry']);
    await ensureQueueConsumer(a.jsm, a.options.names, 'telemetry', 'billing');
    // a plain client: no Causeway code but the header names
    const nc = await connect({ servers: nats.urls });
    try {
      const c = await nc.jetstream().consumers.get(a.options.names.stream, 'billing');
      const got: { body: string; topic: string; ct: string | undefined }[] = [];
      const batch = await c.fetch({ max_messages: 10, expires: 1000 });
      for await (const m of batch) {
        const h = decodeHeaders(m.headers, m.seq);
        got.push({ body: Buffer.from(m.data).toString(), topic: h.wire.topic, ct: m.headers?.get('Content-Type') || undefined });
        m.ack();
      }
      assert.deepEqual(got, [
        { body: '21.5', topic: 'telemetry/gw1/d1/temp', ct: 'text/plain' },
        { body: '40', topic: 'telemetry/gw2/d9/hum', ct: undefined },
      ]);
    } finally {
      await nc.close();
    }
  });
});
