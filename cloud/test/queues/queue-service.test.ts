import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerStore, createMemoryStore, firstLevelQueue, openSqliteStore, topicQueue } from '@causeway/broker';
import { propertiesFor } from '@causeway/shared';
import { QueueService, type GroupSpec } from '../../src/queues/queue-service.js';
import { describeServerQueuesContract, type ServerQueuesOptions } from './server-queues-contract.js';

async function publish(store: BrokerStore, topic: string, body: string, clientId: string, createdAt = Date.now()): Promise<void> {
  const r = await store.log.append(
    { topic, payload: Buffer.from(body), qos: 1, retain: false, properties: propertiesFor(topic, { clientId }), createdAt },
    [firstLevelQueue(topic), topicQueue(topic)],
  );
  assert.equal(r.duplicate, false);
}

const service = (store: BrokerStore, o: ServerQueuesOptions): QueueService => new QueueService(store.log, store.offsets, o);

describeServerQueuesContract('QueueService on the memory store', async (o) => {
  const store = createMemoryStore();
  return {
    nodes: [service(store, o)],
    publish: (topic, body, clientId, createdAt) => publish(store, topic, body, clientId, createdAt),
    // the memory store outlives the service: a new service is a restarted process whose store was kept
    restart: async () => [service(store, o)],
    cleanup: () => store.close(),
  };
});

describeServerQueuesContract('QueueService on the SQLite store', async (o) => {
  const dir = mkdtempSync(join(tmpdir(), 'causeway-queues-'));
  let store: BrokerStore = openSqliteStore({ dir });
  return {
    nodes: [service(store, o)],
    publish: (topic, body, clientId, createdAt) => publish(store, topic, body, clientId, createdAt),
    // the file is closed and opened again: the committed offsets must be on disk
    restart: async () => {
      await store.close();
      store = openSqliteStore({ dir });
      return [service(store, o)];
    },
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('cloud/queues/queue-service: backend-only behaviour', () => {
  let store: BrokerStore;
  let svc: QueueService;
  const clustering: GroupSpec = { queue: 'telemetry', group: 'analytics', mode: 'clustering' };

  beforeEach(() => {
    store = createMemoryStore();
    svc = new QueueService(store.log, store.offsets, { visibilityTimeoutMs: 30_000, window: 1000 });
  });
  afterEach(() => store.close());

  it('release hands leased messages back at once, to any member, counting only what the member held', async () => {
    for (let i = 0; i < 2; i++) await publish(store, 'telemetry/gw1/d/t', `m${i}`, 'gw1');
    const held = await svc.pull(clustering, 'a', 10);
    assert.equal(await svc.release(clustering, 'b', held.map((m) => m.offset)), 0, 'b held none of them');
    assert.equal(await svc.release(clustering, 'a', held.map((m) => m.offset)), 2);
    const again = await svc.pull(clustering, 'b', 10);
    assert.deepEqual(again.map((m) => [m.payload.toString(), m.deliveryCount]), [['m0', 2], ['m1', 2]]);
  });

  it('forgetGroup drops the cursors: leases go, the group reloads its committed offset', async () => {
    for (let i = 0; i < 3; i++) await publish(store, 'telemetry/gw1/d/t', `m${i}`, 'gw1');
    const got = await svc.pull(clustering, 'a', 1);
    await svc.ack(clustering, 'a', got.map((m) => m.offset));
    assert.equal((await svc.pull(clustering, 'a', 10)).length, 2);
    assert.equal(svc.forgetGroup('telemetry', 'analytics'), true);
    assert.deepEqual(svc.groups(), []);
    assert.deepEqual((await svc.pull(clustering, 'b', 10)).map((m) => m.payload.toString()), ['m1', 'm2']);
  });
});
