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
import { natsForSuite } from './jetstream-server.js';

import { describeServerQueuesContract, type ServerQueuesOptions } from '../queues/server-queues-contract.js';

interface Node {
  name: string;
  store: JetStreamStore;
  local: QueueService;
  queues: ClusteredQueues;
}

const CURSOR_DEFAULTS: ServerQueuesOptions = { visibilityTimeoutMs: 30_000, window: 1000, now: Date.now };

/** A node's queues over `store`: a local QueueService and the lease-routed ClusteredQueues, answering once started. */
async function startQueues(name: string, store: JetStreamStore, o: { cursor?: ServerQueuesOptions; leaseMs?: number; requestTimeoutMs?: number } = {}): Promise<Node> {
  const local = new QueueService(store.log, store.offsets, o.cursor ?? CURSOR_DEFAULTS);
  let q: ClusteredQueues | undefined;
  const leases = await openGroupLeases(store, { nodeId: `${name}-${randomBytes(3).toString('hex')}`, leaseMs: o.leaseMs ?? 2000, onLost: (k) => q?.onLeaseLost(k) });
  q = new ClusteredQueues(local, store.nc, leases, { subject: store.options.names.queuesSubject, requestTimeoutMs: o.requestTimeoutMs ?? 2000 });
  q.start();
  // the server knows the subscription before anyone forwards to it (else: no responders, and an eviction)
  await store.nc.flush();
  return { name, store, local, queues: q };
}

async function appendTelemetry(store: JetStreamStore, topic: string, body: string, clientId: string, createdAt = Date.now()): Promise<number> {
  const r = await store.log.append({ topic, payload: Buffer.from(body), qos: 1, retain: false, properties: propertiesFor(topic, { clientId }), createdAt }, [firstLevelQueue(topic)]);
  assert.equal(r.duplicate, false);
  if (r.duplicate) throw new Error('unreachable');
  return r.id;
}

/** Consumer groups over two nodes sharing one JetStream (issue 9): one node runs each group, the other forwards. */
describe('jetstream: consumer groups across nodes (ClusteredQueues) @e2e', function () {
  this.timeout(60_000);
  const nats = natsForSuite(1);

  async function destroy(prefix: string): Promise<void> {
    const nc = await connect({ servers: nats.urls });
    await destroyJetStreamStore(await nc.jetstreamManager(), normalizeJetStreamOptions({ servers: nats.urls, prefix }));
    await nc.close();
  }

  // Two nodes, each with its own store connection, as two causeway-cloud processes on one JetStream.
  describeServerQueuesContract('ClusteredQueues, two nodes on nats-server', async (o) => {
    const prefix = `cq${randomBytes(4).toString('hex')}`;
    const stores = [await openJetStreamStore({ servers: nats.urls, prefix, name: 'a' }), await openJetStreamStore({ servers: nats.urls, prefix, name: 'b' })];
    let nodes = await Promise.all(stores.map((s, i) => startQueues(`n${i}`, s, { cursor: o })));
    const closeNodes = async (): Promise<void> => {
      for (const n of nodes) await n.queues.close();
    };
    return {
      nodes: nodes.map((n) => n.queues),
      async publish(topic, body, clientId, createdAt) {
        const id = await appendTelemetry(stores[0]!, topic, body, clientId, createdAt);
        for (const [i, s] of stores.entries()) assert.ok(await s.log.waitForSeq(id), `record ${id} never reached node ${i}`);
      },
      // a clean stop gives the leases back; new nodes reload the committed offsets from KV
      async restart() {
        await closeNodes();
        nodes = await Promise.all(stores.map((s, i) => startQueues(`r${i}`, s, { cursor: o })));
        return nodes.map((n) => n.queues);
      },
      async cleanup() {
        await closeNodes();
        for (const s of stores) await s.close();
        await destroy(prefix);
      },
    };
  });

  describe('backend-only behaviour', () => {
    let prefix: string;
    const open: Node[] = [];

    async function startNode(name: string, leaseMs = 2000, requestTimeoutMs = 2000): Promise<Node> {
      const store = await openJetStreamStore({ servers: nats.urls, prefix, name });
      const n = await startQueues(name, store, { leaseMs, requestTimeoutMs });
      open.push(n);
      return n;
    }

    async function publish(store: JetStreamStore, n: number, from = 0): Promise<void> {
      for (let i = from; i < from + n; i++) await appendTelemetry(store, `telemetry/gw${i % 5}/d/t`, `m${i}`, `gw${i % 5}`);
    }

    /** A node dies: its NATS connection goes, its leases stay in KV until they lapse. */
    async function crash(n: Node): Promise<void> {
      open.splice(open.indexOf(n), 1);
      await n.store.nc.close();
    }

    const clustering: GroupSpec = { queue: 'telemetry', group: 'analytics', mode: 'clustering' };

    beforeEach(() => {
      prefix = `cq${randomBytes(4).toString('hex')}`;
    });
    afterEach(async () => {
      for (const n of open.splice(0)) {
        await n.queues.close();
        await n.store.close();
      }
      await destroy(prefix);
    });

    it('a node that does not run the group forwards each call to the one that does', async () => {
      const a = await startNode('a');
      const b = await startNode('b');
      await publish(a.store, 10);
      assert.ok(await b.store.log.waitForSeq(10));
      await a.queues.lag(clustering); // a runs the group
      const msgs = await b.queues.pull(clustering, 'm', 100);
      assert.equal(await b.queues.ack(clustering, 'm', msgs.map((m) => m.offset)), 10);
      assert.equal((await b.queues.lag(clustering)).lag, 0);
      assert.deepEqual({ forwarded: b.queues.counters.forwarded, served: a.queues.counters.served }, { forwarded: 3, served: 3 });
      assert.deepEqual({ forwarded: a.queues.counters.forwarded, served: b.queues.counters.served }, { forwarded: 0, served: 0 });
      assert.deepEqual(b.local.groups(), [], 'b kept a cursor of a group it does not run');
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
      const hole = await connect({ servers: nats.urls });
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
      const nc = await connect({ servers: nats.urls });
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
});
