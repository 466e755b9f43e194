import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'nats';
import { propertiesFor } from '@causeway/shared';
import { QueueService, type GroupSpec } from '../../src/queues/queue-service.js';
import { firstLevelQueue } from '@causeway/broker';
import { ClusteredQueues, groupKey } from '../../src/store/jetstream/clustered-queues.js';
import { openGroupLeases } from '../../src/store/jetstream/group-leases.js';
import { normalizeJetStreamOptions } from '../../src/store/jetstream/jetstream-options.js';
import { type JetStreamStore, destroyJetStreamStore, openJetStreamStore } from '../../src/store/jetstream/jetstream-store.js';
import { startNats, requireNatsServer } from './jetstream-server.js';

interface Node {
  name: string;
  store: JetStreamStore;
  local: QueueService;
  queues: ClusteredQueues;
}

/** Consumer groups over two nodes sharing one JetStream (issue 9): one node runs each group, the other forwards. */
describe('jetstream: consumer groups across nodes (ClusteredQueues) @e2e', function () {
  this.timeout(60_000);
  let nats: Awaited<ReturnType<typeof startNats>> | undefined;
  let prefix: string;
  const open: Node[] = [];

  const clustering: GroupSpec = { queue: 'telemetry', group: 'analytics', mode: 'clustering' };

  async function startNode(name: string, leaseMs = 2000, requestTimeoutMs = 2000): Promise<Node> {
    const store = await openJetStreamStore({ servers: nats!.urls, prefix, name });
    const local = new QueueService(store.log, store.offsets, { visibilityTimeoutMs: 30_000, window: 1000 });
    let q: ClusteredQueues | undefined;
    const leases = await openGroupLeases(store, { nodeId: `${name}-${randomBytes(3).toString('hex')}`, leaseMs, onLost: (k) => q?.onLeaseLost(k) });
    q = new ClusteredQueues(local, store.nc, leases, { subject: store.options.names.queuesSubject, requestTimeoutMs });
    q.start();
    const n = { name, store, local, queues: q };
    open.push(n);
    return n;
  }

  async function publish(store: JetStreamStore, n: number, from = 0): Promise<void> {
    for (let i = from; i < from + n; i++) {
      const topic = `telemetry/gw${i % 5}/d/t`;
      await store.log.append({ topic, payload: Buffer.from(`m${i}`), qos: 1, retain: false, properties: propertiesFor(topic, { clientId: `gw${i % 5}` }), createdAt: Date.now() }, [firstLevelQueue(topic)]);
    }
  }

  /** A node dies: its NATS connection goes, its leases stay in KV until they lapse. */
  async function crash(n: Node): Promise<void> {
    open.splice(open.indexOf(n), 1);
    await n.store.nc.close();
  }

  before(async function () {
    requireNatsServer(this);
    nats = await startNats(1);
  });
  after(async () => {
    await nats?.stop();
  });
  beforeEach(() => {
    prefix = `cq${randomBytes(4).toString('hex')}`;
  });
  afterEach(async () => {
    for (const n of open.splice(0)) {
      await n.queues.close();
      await n.store.close();
    }
    const nc = await connect({ servers: nats!.urls });
    await destroyJetStreamStore(await nc.jetstreamManager(), normalizeJetStreamOptions({ servers: nats!.urls, prefix }));
    await nc.close();
  });

  it('members of one clustering group on two nodes get disjoint messages, and every message once', async () => {
    const a = await startNode('a');
    const b = await startNode('b');
    await publish(a.store, 60);
    assert.ok(await b.store.log.waitForSeq(60));
    const got: string[] = [];
    const byNode = { a: 0, b: 0 };
    // interleaved pulls and acks through both nodes, members on each
    for (let round = 0; round < 30 && got.length < 60; round++) {
      for (const [n, member] of [[a, 'm1'], [b, 'm2'], [b, 'm3']] as const) {
        const msgs = await n.queues.pull(clustering, member, 4);
        got.push(...msgs.map((m) => m.payload.toString()));
        byNode[n.name as 'a' | 'b'] += msgs.length;
        assert.equal(await n.queues.ack(clustering, member, msgs.map((m) => m.offset)), msgs.length);
      }
    }
    assert.equal(got.length, 60, `got ${got.length}`);
    assert.equal(new Set(got).size, 60, 'a message went to two members');
    assert.ok(byNode.a > 0 && byNode.b > 0, JSON.stringify(byNode));
    // one node ran the group, the other forwarded
    assert.equal(a.queues.counters.served + b.queues.counters.served > 0, true);
    assert.equal((await a.queues.lag(clustering)).lag, 0);
    assert.equal((await b.queues.lag(clustering)).committed, 61);
  });

  it('a broadcasting member reading through either node has one cursor', async () => {
    const a = await startNode('a');
    const b = await startNode('b');
    const spec: GroupSpec = { queue: 'telemetry', group: 'dash', mode: 'broadcasting' };
    await publish(a.store, 10);
    assert.ok(await b.store.log.waitForSeq(10));
    const first = await a.queues.pull(spec, 'x', 4);
    await a.queues.ack(spec, 'x', first.map((m) => m.offset));
    const rest = await b.queues.pull(spec, 'x', 100);
    await b.queues.ack(spec, 'x', rest.map((m) => m.offset));
    assert.deepEqual([...first, ...rest].map((m) => m.payload.toString()), Array.from({ length: 10 }, (_, i) => `m${i}`));
    // another member of the broadcasting group gets everything again
    assert.equal((await b.queues.pull(spec, 'y', 100)).length, 10);
  });

  it('a long-poll forwarded to the owner wakes when a message arrives', async () => {
    const a = await startNode('a');
    const b = await startNode('b');
    await a.queues.lag(clustering); // a takes the group
    const t0 = Date.now();
    const pulling = b.queues.pull(clustering, 'm', 10, 5000);
    await new Promise((r) => setTimeout(r, 200));
    await publish(b.store, 1);
    // the owner learns of the append as the cloud node wires it: the notify link calls notify()
    assert.ok(await a.store.log.waitForSeq(1));
    a.queues.notify('telemetry');
    const msgs = await pulling;
    assert.deepEqual(msgs.map((m) => m.payload.toString()), ['m0']);
    assert.ok(Date.now() - t0 < 4000, `woke after ${Date.now() - t0} ms`);
    assert.ok(b.queues.counters.forwarded >= 1);
  });

  it('the group conflict rule holds across nodes', async () => {
    const a = await startNode('a');
    const b = await startNode('b');
    await a.queues.pull(clustering, 'm', 1);
    await assert.rejects(b.queues.pull({ ...clustering, mode: 'broadcasting' }, 'm', 1), { code: 'QUEUE_GROUP_CONFLICT' });
    // the refused spec is not listed by B (GET /v1/queues would then fail asking lag of it)
    assert.deepEqual(b.queues.groups(), []);
    await b.queues.lag(clustering);
    assert.deepEqual(b.queues.groups(), [clustering]);
  });

  it('a node that stops cleanly hands its groups over at once; unacknowledged messages come back', async () => {
    const a = await startNode('a');
    const b = await startNode('b');
    await publish(a.store, 10);
    // a runs the group: two acked (the committed offset moves over them), three leased and never acked
    const acked = await a.queues.pull(clustering, 'm1', 2);
    await a.queues.ack(clustering, 'm1', acked.map((m) => m.offset));
    const held = await a.queues.pull(clustering, 'm1', 3);
    open.splice(open.indexOf(a), 1);
    await a.queues.close();
    await a.store.close();
    const t0 = Date.now();
    const after = await b.queues.pull(clustering, 'm2', 100);
    assert.ok(Date.now() - t0 < 1500, 'b waited for a lease to lapse');
    const again = after.map((m) => m.payload.toString());
    for (const m of held) assert.ok(again.includes(m.payload.toString()), `${m.payload} was lost`);
    for (const m of acked) assert.ok(!again.includes(m.payload.toString()), `${m.payload} was acked yet redelivered`);
    assert.equal(again.length, 8);
  });

  it('a node that dies is replaced at once: no responders → its lease is removed and the caller runs the group', async () => {
    const a = await startNode('a', 60_000); // a lease that would take a minute to lapse
    const b = await startNode('b', 60_000);
    await publish(a.store, 6);
    const leased = await a.queues.pull(clustering, 'm1', 6);
    assert.equal(leased.length, 6);
    await a.queues.ack(clustering, 'm1', [leased[0]!.offset]);
    await crash(a);
    const t0 = Date.now();
    const after = await b.queues.pull(clustering, 'm2', 100);
    assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
    assert.equal(b.queues.counters.evicted, 1);
    assert.deepEqual(after.map((m) => m.payload.toString()).sort(), ['m1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('an owner killed with the call in hand (a timeout, not no responders) is replaced within about a second, not after the call\'s timeout [issue 23]', async () => {
    const a = await startNode('a', 60_000);
    const b = await startNode('b', 60_000, 8000); // the call alone would wait 8 s
    await publish(a.store, 4);
    assert.equal((await a.queues.pull(clustering, 'm1', 4)).length, 4);
    // a's subscription is still known to the server when the call arrives, and a dies holding it
    const hole = await connect({ servers: nats!.urls });
    hole.subscribe(a.queues.subject, { callback: () => void hole.close() });
    await hole.flush();
    await crash(a);
    const t0 = Date.now();
    const after = await b.queues.pull(clustering, 'm2', 100);
    const took = Date.now() - t0;
    assert.ok(took < 4000, `took ${took} ms`);
    assert.equal(b.queues.counters.evicted, 1);
    assert.deepEqual(after.map((m) => m.payload.toString()).sort(), ['m0', 'm1', 'm2', 'm3']);
  });

  it('an owner that is alive but slow is not evicted: the call fails with QUEUE_OWNER_UNAVAILABLE', async () => {
    const a = await startNode('a', 60_000);
    const b = await startNode('b', 60_000, 1500);
    await publish(a.store, 1);
    await a.queues.lag(clustering); // a runs the group
    const lag = a.local.lag.bind(a.local);
    a.local.lag = async (...args) => {
      await new Promise((r) => setTimeout(r, 3000)); // slower than b's request timeout
      return lag(...args);
    };
    await assert.rejects(b.queues.lag(clustering), (err: unknown) => (err as { code?: string }).code === 'QUEUE_OWNER_UNAVAILABLE');
    assert.equal(b.queues.counters.evicted, 0);
    a.local.lag = lag;
    assert.equal((await b.queues.pull(clustering, 'm', 1)).length, 1, 'the group stayed on a');
    assert.equal(b.queues.counters.evicted, 0);
  });

  it('a node whose lease was taken drops its cursors (they would hand out what the new owner hands out)', async () => {
    const a = await startNode('a', 400);
    await publish(a.store, 5);
    assert.equal((await a.queues.pull(clustering, 'm1', 5)).length, 5);
    assert.equal((await a.local.lag(clustering)).inFlight, 5);
    // someone else writes the lease (as after a partition in which a's lease lapsed and b took it)
    const kv = await a.store.js.views.kv(a.store.options.names.leasesBucket);
    await kv.put(groupKey('telemetry', 'analytics'), JSON.stringify({ node: 'other', since: Date.now() }));
    const deadline = Date.now() + 3000;
    while (a.queues.counters.lost === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(a.queues.counters.lost, 1);
    assert.deepEqual(a.local.groups(), [], 'cursor kept after the lease was lost');
  });

  it('answers a malformed forwarded request with an error and keeps serving', async () => {
    const a = await startNode('a');
    const b = await startNode('b');
    await publish(a.store, 1);
    await a.queues.lag(clustering); // a runs the group
    const nc = await connect({ servers: nats!.urls });
    try {
      const cases: Array<[string, string]> = [
        ['not json', 'QUEUE_BAD_REQUEST'],
        ['{"op":"pull"}', 'QUEUE_BAD_REQUEST'],
        [JSON.stringify({ op: 'drop', spec: clustering, member: 'm' }), 'QUEUE_BAD_REQUEST'],
        [JSON.stringify({ op: 'pull', spec: { ...clustering, queue: 'a/b' }, member: 'm', max: 1, waitMs: 0 }), 'ID_INVALID'],
        [JSON.stringify({ op: 'lag', spec: { ...clustering, group: 'not-run-here' }, member: 'm' }), 'QUEUE_NOT_OWNER'],
      ];
      for (const [body, code] of cases) {
        const reply = (await nc.request(a.queues.subject, body, { timeout: 2000 })).json<{ error?: { code: string } }>();
        assert.equal(reply.error?.code, code, body);
      }
    } finally {
      await nc.close();
    }
    assert.equal((await b.queues.pull(clustering, 'm', 1)).length, 1);
  });
});
