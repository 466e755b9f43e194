import assert from 'node:assert/strict';
import { createMemoryStore, type BrokerStore, firstLevelQueue, topicQueue } from '@causeway/broker';
import { QueueService, type GroupSpec } from '../../src/queues/queue-service.js';
import { propertiesFor } from '@causeway/shared';

async function publish(store: BrokerStore, topic: string, body: string, clientId: string, createdAt = Date.now()): Promise<void> {
  const r = await store.log.append(
    { topic, payload: Buffer.from(body), qos: 1, retain: false, properties: propertiesFor(topic, { clientId }), createdAt },
    [firstLevelQueue(topic), topicQueue(topic)],
  );
  assert.equal(r.duplicate, false);
}

describe('cloud/queues/queue-service', () => {
  let store: BrokerStore;
  let clock: number;
  let svc: QueueService;
  const clustering: GroupSpec = { queue: 'telemetry', group: 'analytics', mode: 'clustering' };
  const broadcasting: GroupSpec = { queue: 'telemetry', group: 'dashboards', mode: 'broadcasting' };

  beforeEach(() => {
    store = createMemoryStore();
    clock = 1_000_000;
    svc = new QueueService(store.log, store.offsets, { visibilityTimeoutMs: 30_000, window: 1000, now: () => clock });
  });
  afterEach(() => store.close());

  it('clustering: each message goes to exactly one member, and every message to someone', async () => {
    for (let i = 0; i < 30; i++) await publish(store, `telemetry/gw${i % 6}/d/t`, `m${i}`, `gw${i % 6}`);
    const got = new Map<string, string[]>();
    for (let round = 0; round < 10; round++) {
      for (const m of ['a', 'b', 'c']) {
        const msgs = await svc.pull(clustering, m, 4);
        got.set(m, [...(got.get(m) ?? []), ...msgs.map((x) => x.payload.toString())]);
        await svc.ack(clustering, m, msgs.map((x) => x.offset));
      }
    }
    const all = [...got.values()].flat();
    assert.equal(all.length, 30);
    assert.equal(new Set(all).size, 30);
    assert.ok([...got.values()].filter((v) => v.length > 0).length >= 2, 'load is spread over members');
  });

  it('clustering keeps per-device order: a device is leased to one member at a time', async () => {
    for (let i = 0; i < 6; i++) await publish(store, 'telemetry/gw1/d/t', `g1-${i}`, 'gw1');
    const a = await svc.pull(clustering, 'a', 2);
    assert.deepEqual(a.map((m) => m.payload.toString()), ['g1-0', 'g1-1']);
    // b cannot take gw1's later messages while a holds earlier ones
    assert.deepEqual(await svc.pull(clustering, 'b', 10), []);
    await svc.ack(clustering, 'a', a.map((m) => m.offset));
    const b = await svc.pull(clustering, 'b', 10);
    assert.deepEqual(b.map((m) => m.payload.toString()), ['g1-2', 'g1-3', 'g1-4', 'g1-5']);
  });

  it('broadcasting: every member gets every message', async () => {
    for (let i = 0; i < 5; i++) await publish(store, `telemetry/gw${i}/d/t`, `m${i}`, `gw${i}`);
    for (const m of ['x', 'y']) {
      const msgs = await svc.pull(broadcasting, m, 100);
      assert.deepEqual(msgs.map((x) => x.payload.toString()), ['m0', 'm1', 'm2', 'm3', 'm4']);
      await svc.ack(broadcasting, m, msgs.map((x) => x.offset));
    }
    assert.equal((await svc.lag(broadcasting, 'x')).lag, 0);
  });

  it('redelivers a message whose member died without acking, after the visibility timeout', async () => {
    await publish(store, 'telemetry/gw1/d/t', 'only', 'gw1');
    const first = await svc.pull(clustering, 'dies', 10);
    assert.equal(first.length, 1);
    assert.deepEqual(await svc.pull(clustering, 'survivor', 10), []);
    clock += 30_001;
    const again = await svc.pull(clustering, 'survivor', 10);
    assert.equal(again.length, 1);
    assert.equal(again[0]!.deliveryCount, 2);
    assert.equal(await svc.ack(clustering, 'dies', [first[0]!.offset]), 0, 'a stale lease cannot ack');
    assert.equal(await svc.ack(clustering, 'survivor', [again[0]!.offset]), 1);
    assert.equal((await svc.lag(clustering)).lag, 0);
  });

  it('commits offsets: a new service on the same store resumes after the last acked message', async () => {
    for (let i = 0; i < 4; i++) await publish(store, 'telemetry/gw1/d/t', `m${i}`, 'gw1');
    const got = await svc.pull(clustering, 'a', 2);
    await svc.ack(clustering, 'a', got.map((m) => m.offset));
    await svc.pull(clustering, 'a', 1); // leased, never acked: must come back after restart
    const restarted = new QueueService(store.log, store.offsets, { visibilityTimeoutMs: 30_000, window: 1000 });
    const rest = await restarted.pull(clustering, 'b', 10);
    assert.deepEqual(rest.map((m) => m.payload.toString()), ['m2', 'm3']);
  });

  it('replays from an offset and from a time', async () => {
    for (let i = 0; i < 5; i++) await publish(store, 'telemetry/gw1/d/t', `m${i}`, 'gw1', 1000 + i * 1000);
    const all = await svc.pull(clustering, 'a', 10);
    await svc.ack(clustering, 'a', all.map((m) => m.offset));
    await svc.seek(clustering, 'a', { offset: all[3]!.offset });
    assert.deepEqual((await svc.pull(clustering, 'a', 10)).map((m) => m.payload.toString()), ['m3', 'm4']);
    await svc.seek(clustering, 'a', { time: 2500 });
    assert.deepEqual((await svc.pull(clustering, 'a', 10)).map((m) => m.payload.toString()), ['m2', 'm3', 'm4']);
  });

  it('filters a queue by mqttSecondTopic pattern and exposes the property mapping', async () => {
    await publish(store, 'telemetry/gw1/d1/temp', 'a', 'gw1');
    await publish(store, 'telemetry/gw1/d1/hum', 'b', 'gw1');
    await publish(store, 'telemetry/gw2/d9/temp', 'c', 'gw2');
    const spec: GroupSpec = { queue: 'telemetry', group: 'temps', mode: 'clustering', filter: '/+/+/temp' };
    const msgs = await svc.pull(spec, 'a', 10);
    assert.deepEqual(msgs.map((m) => m.payload.toString()), ['a', 'c']);
    assert.deepEqual(msgs[1]!.properties, { qoslevel: 1, cleansessionflag: true, mqttRealTopic: 'telemetry/gw2/d9/temp', mqttSecondTopic: '/gw2/d9/temp', clientId: 'gw2' });
    await svc.ack(spec, 'a', msgs.map((m) => m.offset));
    assert.equal((await svc.lag(spec)).lag, 0, 'filtered-out messages do not hold the group back');
  });

  it('refuses a group redefined with another mode, and bad names', async () => {
    await svc.pull(clustering, 'a', 1);
    await assert.rejects(svc.pull({ ...clustering, mode: 'broadcasting' }, 'a', 1), /QUEUE_GROUP_CONFLICT|is clustering/);
    await assert.rejects(svc.pull({ ...clustering, queue: 'tele/metry' }, 'a', 1), /queue name/);
    await assert.rejects(svc.pull({ ...clustering, group: 'g2', filter: 'nolead' }, 'a', 1), /must start with/);
  });

  it('long-poll returns as soon as a message is published and notified', async () => {
    const real = new QueueService(store.log, store.offsets, { visibilityTimeoutMs: 30_000, window: 100 });
    const started = Date.now();
    const pending = real.pull(clustering, 'a', 10, 5_000);
    setTimeout(() => {
      void publish(store, 'telemetry/gw1/d/t', 'late', 'gw1').then(() => real.notify('telemetry'));
    }, 50);
    const got = await pending;
    assert.deepEqual(got.map((m) => m.payload.toString()), ['late']);
    assert.ok(Date.now() - started < 2_000);
  });
});
