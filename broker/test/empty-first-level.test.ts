import assert from 'node:assert/strict';
import { ROOT_QUEUE } from '@causeway/shared';
import type { BrokerOptions } from '../src/options.js';
import { firstLevelQueue, serverQueue } from '../src/store/queue-names.js';
import { Harness, collect, until } from './fixtures/harness.js';

/**
 * Topics whose first level is empty ("/TopicA", "/sensors/x") are valid MQTT names [MQTT-4.7.3-1] and
 * devices in the field use them (issue 15): they work end to end, and feed the server-side queue `_root`.
 */
describe('broker: topics with an empty first level', () => {
  // the cloud's server-queue rule: the first level, `_root` when it is empty
  const opts: Partial<BrokerOptions> = { serverQueues: (t) => [firstLevelQueue(t)] };
  let h: Harness;
  beforeEach(async () => {
    h = await new Harness(opts).start();
  });
  afterEach(async () => {
    await h.close();
  });

  it('the first-level queue of "/TopicA" is _root', () => {
    assert.equal(firstLevelQueue('/TopicA'), serverQueue(ROOT_QUEUE));
    assert.equal(firstLevelQueue('/sensors/x'), 'q:_root');
  });

  for (const version of [4, 5] as const) {
    for (const qos of [0, 1, 2] as const) {
      it(`v${version} QoS ${qos}: "/TopicA" is stored once, indexed into _root, and delivered to "/TopicA", "/+" and "#"`, async () => {
        const exact = await h.client({ protocolVersion: version, clientId: 'exact' });
        await exact.subscribeAsync('/TopicA', { qos: 2 });
        const wild = await h.client({ protocolVersion: version, clientId: 'wild' });
        await wild.subscribeAsync(['/+', '#'], { qos: 2 });
        const pub = await h.client({ protocolVersion: version, clientId: 'pub' });
        await pub.publishAsync('/TopicA', 'hello', { qos });
        const a = collect(exact);
        const w = collect(wild);
        await until(() => a.length === 1 && w.length >= 1, 2000, 'delivery');
        assert.equal(a[0]!.topic, '/TopicA');
        assert.equal(a[0]!.payload, 'hello');
        assert.equal(a[0]!.packet.qos, qos);
        assert.equal(w[0]!.topic, '/TopicA');
        assert.equal((await h.store.log.stats()).messages, 1);
        const inRoot = await h.store.log.read('q:_root', 1, 10);
        assert.equal(inRoot.length, 1);
        assert.equal(inRoot[0]!.message.properties.mqttRealTopic, '/TopicA');
        assert.equal(inRoot[0]!.message.properties.mqttSecondTopic, '/TopicA');
      });
    }
  }

  it('a retained message on "/sensors/x" is kept and sent on subscribe', async () => {
    const pub = await h.client({ clientId: 'pub' });
    await pub.publishAsync('/sensors/x', '21.5', { qos: 1, retain: true });
    const sub = await h.client({ protocolVersion: 5, clientId: 'late' });
    await sub.subscribeAsync('/sensors/#', { qos: 1 });
    const got = collect(sub);
    await until(() => got.length === 1, 2000, 'retained message');
    assert.equal(got[0]!.topic, '/sensors/x');
    assert.equal(got[0]!.payload, '21.5');
    assert.equal(got[0]!.packet.retain, true);
  });

  it('a will on "/status/dev1" is published when the client drops', async () => {
    const watcher = await h.client({ clientId: 'w' });
    await watcher.subscribeAsync('/status/+', { qos: 1 });
    const got = collect(watcher);
    const r = h.raw();
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'dev1', clean: true, keepalive: 0, will: { topic: '/status/dev1', payload: Buffer.from('offline'), qos: 1, retain: false } });
    await r.next('connack');
    r.stream.destroy();
    await until(() => got.length === 1, 2000, 'the will');
    assert.equal(got[0]!.topic, '/status/dev1');
    assert.equal(got[0]!.payload, 'offline');
    assert.equal(h.broker.counters.willsPublished, 1);
    assert.equal((await h.store.log.read('q:_root', 1, 10)).length, 1);
  });

  for (const version of [4, 5] as const) {
    it(`v${version}: a persistent session subscribed to "/sensors/+" catches up after a broker restart`, async () => {
      const persistent = version === 5 ? { protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 3600 } } : { protocolVersion: 4 as const, clean: false };
      const sub = await h.client({ clientId: 'keeper', ...persistent });
      await sub.subscribeAsync('/sensors/+', { qos: 1 });
      await sub.endAsync();
      const pub = await h.client({ clientId: 'pub' });
      for (let i = 0; i < 5; i++) await pub.publishAsync(`/sensors/s${i % 2}`, String(i), { qos: 1 });
      await h.restart(opts);
      const again = await h.client({ clientId: 'keeper', ...persistent });
      const got = collect(again);
      await until(() => got.length === 5, 2000, '5 messages after the restart');
      assert.deepEqual(got.map((g) => `${g.topic}=${g.payload}`), ['/sensors/s0=0', '/sensors/s1=1', '/sensors/s0=2', '/sensors/s1=3', '/sensors/s0=4']);
    });
  }

  it('a v5 topic alias set on "/TopicA" resolves to it', async () => {
    const sub = await h.client({ protocolVersion: 5, clientId: 'sub' });
    await sub.subscribeAsync('/TopicA', { qos: 1 });
    const got = collect(sub);
    const r = h.raw(5);
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'aliaser', clean: true, keepalive: 0 }, 5);
    await r.next('connack');
    r.send({ cmd: 'publish', topic: '/TopicA', payload: Buffer.from('1'), qos: 1, dup: false, retain: false, messageId: 1, properties: { topicAlias: 1 } }, 5);
    r.send({ cmd: 'publish', topic: '', payload: Buffer.from('2'), qos: 1, dup: false, retain: false, messageId: 2, properties: { topicAlias: 1 } }, 5);
    await r.next('puback');
    await r.next('puback');
    await until(() => got.length === 2, 2000, 'two messages');
    assert.deepEqual(got.map((g) => `${g.topic}=${g.payload}`), ['/TopicA=1', '/TopicA=2']);
  });
});
