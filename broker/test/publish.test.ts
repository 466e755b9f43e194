import assert from 'node:assert/strict';
import { encodeEnvelope, type ReadingBatch, envelopeDedupeKey } from '@causeway/shared';
import { Harness, collect, sleep, until } from './fixtures/harness.js';
import { firstLevelQueue } from '../src/store/queue-names.js';

describe('broker: publish and deliver', () => {
  let h: Harness;
  beforeEach(async () => {
    // Causeway's dedupe and server-queue rules, as the cloud gives them (the broker core knows neither)
    h = await new Harness({ dedupeKey: envelopeDedupeKey, serverQueues: (t) => [firstLevelQueue(t)] }).start();
  });
  afterEach(async () => {
    await h.close();
  });

  for (const version of [4, 5] as const) {
    for (const qos of [0, 1, 2] as const) {
      it(`v${version} QoS ${qos}: stored once in the log, delivered to a subscriber`, async () => {
        const sub = await h.client({ protocolVersion: version, clientId: 'sub' });
        await sub.subscribeAsync('plant/+/temp', { qos: 2 });
        const got = collect(sub);
        const pub = await h.client({ protocolVersion: version, clientId: 'pub' });
        await pub.publishAsync('plant/a/temp', 'x1', { qos });
        await until(() => got.length === 1, 2000, 'delivery');
        assert.equal(got[0]!.payload, 'x1');
        assert.equal(got[0]!.packet.qos, qos);
        const stats = await h.store.log.stats();
        assert.equal(stats.messages, 1);
        // the first-level queue and the held wildcard filter's queue index the one record; the topic's own
        // light queue does not, since no session holds the exact topic
        assert.equal((await h.store.log.read('q:plant', 1, 10)).length, 1);
        assert.equal((await h.store.log.read('f:plant/+/temp', 1, 10)).length, 1);
        assert.equal((await h.store.log.read('t:plant/a/temp', 1, 10)).length, 0);
      });
    }
  }

  it('acknowledges a QoS 1 publish only after the append resolved', async () => {
    const pub = await h.client({ clientId: 'pub' });
    const { release } = h.holdAppends();
    let acked = false;
    const p = pub.publishAsync('plant/a/temp', 'slow', { qos: 1 }).then(() => (acked = true));
    await sleep(100);
    assert.equal(acked, false, 'PUBACK before the store committed');
    release();
    await p;
    assert.equal(acked, true);
  });

  it('acknowledges QoS 1 and 2 publishes in the order they arrived, even when a later commit finishes first [MQTT-4.6.0-2]', async () => {
    const r = await h.rawConnected(4, 'order');
    // The first append waits; the ones behind it commit at once.
    const held = h.holdAppends((call) => call === 1);
    r.send({ cmd: 'publish', topic: 'o/1', payload: Buffer.from('1'), qos: 1, dup: false, retain: false, messageId: 1 });
    r.send({ cmd: 'publish', topic: 'o/2', payload: Buffer.from('2'), qos: 2, dup: false, retain: false, messageId: 2 });
    r.send({ cmd: 'publish', topic: 'o/3', payload: Buffer.from('3'), qos: 1, dup: false, retain: false, messageId: 3 });
    await until(() => held.calls === 3, 2000, 'three appends');
    await sleep(50);
    assert.deepEqual(r.packets.map((p) => p.cmd), [], 'nothing acknowledged while the first publish is not committed');
    held.release();
    await until(() => r.packets.length === 3, 2000, 'three acknowledgements');
    assert.deepEqual(r.packets.map((p) => `${p.cmd} ${(p as { messageId?: number }).messageId}`), ['puback 1', 'pubrec 2', 'puback 3']);
    assert.equal((await h.store.log.stats()).messages, 3);
  });

  it('does not acknowledge when the store fails; the client gets no PUBACK and the failure is counted', async () => {
    const r = h.raw();
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'p', clean: true, keepalive: 0 });
    await r.next('connack');
    h.store.log.append = async () => {
      throw new Error('disk full');
    };
    r.send({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('x'), qos: 1, dup: false, retain: false, messageId: 7 });
    await r.waitClosed();
    assert.equal(r.packets.filter((p) => p.cmd === 'puback').length, 0);
    assert.ok(h.broker.counters.storeErrors >= 1);
  });

  it('keeps per-topic order for a burst of QoS 1 messages', async () => {
    const sub = await h.client({ clientId: 'sub' });
    await sub.subscribeAsync('seq/#', { qos: 1 });
    const got = collect(sub);
    const pub = await h.client({ clientId: 'pub' });
    const n = 200;
    await Promise.all(Array.from({ length: n }, (_, i) => pub.publishAsync('seq/x', String(i), { qos: 1 })));
    await until(() => got.length === n, 5000, `${n} messages`);
    assert.deepEqual(got.map((g) => Number(g.payload)), Array.from({ length: n }, (_, i) => i));
  });

  it('respects the client Receive Maximum: never more in flight than it allows', async () => {
    const r = h.raw(5);
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'slow', clean: true, keepalive: 0, properties: { receiveMaximum: 3 } }, 5);
    await r.next('connack');
    r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'w/#', qos: 1 }] }, 5);
    await r.next('suback');
    const pub = await h.client({ clientId: 'pub' });
    for (let i = 0; i < 10; i++) await pub.publishAsync('w/x', String(i), { qos: 1 });
    await sleep(100);
    assert.equal(r.packets.filter((p) => p.cmd === 'publish').length, 3);
    const first = (await r.next('publish')) as { messageId: number };
    r.send({ cmd: 'puback', messageId: first.messageId }, 5);
    await sleep(50);
    assert.equal(r.packets.filter((p) => p.cmd === 'publish').length, 3); // 2 left + 1 new
  });

  it('keeps at most limits.maxOutboundInflight deliveries unacknowledged, whatever the inbound window', async () => {
    await h.close();
    h = await new Harness({ maxInflight: 2, maxOutboundInflight: 5 }).start();
    const r = h.raw(4);
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'lazy', clean: true, keepalive: 0 });
    await r.next('connack');
    r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'ob/#', qos: 1 }] });
    await r.next('suback');
    const pub = await h.client({ clientId: 'pub' });
    for (let i = 0; i < 12; i++) await pub.publishAsync('ob/x', String(i), { qos: 1 });
    await until(() => r.packets.filter((p) => p.cmd === 'publish').length >= 5, 2000, 'five deliveries');
    await sleep(100);
    assert.equal(r.packets.filter((p) => p.cmd === 'publish').length, 5, 'the outbound window, not the inbound one (2)');
    const first = (await r.next('publish')) as { messageId: number };
    r.send({ cmd: 'puback', messageId: first.messageId });
    await until(() => r.packets.filter((p) => p.cmd === 'publish').length >= 5, 2000, 'one more after a PUBACK');
    await sleep(50);
    assert.equal(r.packets.filter((p) => p.cmd === 'publish').length, 5); // 4 left + 1 new
  });

  it('delivers once at the highest QoS when subscriptions overlap', async () => {
    const sub = await h.client({ protocolVersion: 5, clientId: 'sub' });
    await sub.subscribeAsync({ 'o/+/t': { qos: 0 }, 'o/#': { qos: 2 }, 'o/a/t': { qos: 1 } });
    const got = collect(sub);
    const pub = await h.client({ clientId: 'pub' });
    for (let i = 0; i < 5; i++) await pub.publishAsync('o/a/t', String(i), { qos: 2 });
    await until(() => got.length >= 5, 2000, 'deliveries');
    await sleep(100);
    assert.equal(got.length, 5);
    assert.deepEqual(got.map((g) => g.packet.qos), [2, 2, 2, 2, 2]);
    assert.deepEqual(got.map((g) => g.payload), ['0', '1', '2', '3', '4']);
  });

  it('a new wildcard filter works at once for later messages (no pre-registration)', async () => {
    const pub = await h.client({ clientId: 'pub' });
    await pub.publishAsync('late/a', 'before', { qos: 1 });
    const sub = await h.client({ clientId: 'sub' });
    await sub.subscribeAsync('late/+', { qos: 1 });
    const got = collect(sub);
    await pub.publishAsync('late/a', 'after', { qos: 1 });
    await until(() => got.length === 1);
    await sleep(50);
    assert.deepEqual(got.map((g) => g.payload), ['after']);
  });

  it("indexes a topic into a wildcard filter's queue only while some session holds the filter, however often the topic was published", async () => {
    const pub = await h.client({ clientId: 'pub' });
    const filterEntries = async (): Promise<number> => (await h.store.log.read('f:idx/+', 1, 100)).length;
    await pub.publishAsync('idx/a', '1', { qos: 1 });
    await pub.publishAsync('idx/a', '2', { qos: 1 });
    const sub = await h.client({ clientId: 'sub', clean: false });
    await sub.subscribeAsync('idx/+', { qos: 1 });
    await pub.publishAsync('idx/a', '3', { qos: 1 });
    await pub.publishAsync('idx/b', '4', { qos: 1 });
    assert.equal(await filterEntries(), 2, 'indexed once the filter is held');
    await sub.unsubscribeAsync('idx/+');
    await pub.publishAsync('idx/a', '5', { qos: 1 });
    assert.equal(await filterEntries(), 2, 'no longer indexed once nobody holds it');
    assert.equal((await h.store.log.read('t:idx/a', 1, 100)).length, 0, 'nobody ever held the exact topic');
  });

  it("indexes a topic into its own light queue only while some session (online, offline or a shared group's member) holds the exact topic", async () => {
    const pub = await h.client({ clientId: 'pub' });
    const entries = async (): Promise<string[]> => (await h.store.log.read('t:exact/a', 1, 100)).map((e) => e.message.payload.toString());
    await pub.publishAsync('exact/a', 'before', { qos: 1 });
    assert.deepEqual(await entries(), [], 'nobody holds it');

    const sub = await h.client({ clientId: 'keeper', clean: false });
    await sub.subscribeAsync('exact/a', { qos: 1 });
    const got = collect(sub);
    await pub.publishAsync('exact/a', 'online', { qos: 1 });
    await until(() => got.length === 1, 2000, 'delivery');
    sub.end(true);
    await until(() => !sub.connected, 2000, 'disconnect');
    await pub.publishAsync('exact/a', 'offline', { qos: 1 });
    assert.deepEqual(await entries(), ['online', 'offline'], 'held by a session, online or offline');

    // the offline session gets what it missed when it comes back
    const back = await h.client({ clientId: 'keeper', clean: false });
    const caught = collect(back);
    await until(() => caught.length === 1, 2000, 'catch-up');
    assert.equal(caught[0]!.payload, 'offline');

    const shared = await h.client({ clientId: 'member', protocolVersion: 5 });
    await shared.subscribeAsync('$share/g/exact/a', { qos: 1 });
    await back.unsubscribeAsync('exact/a');
    await pub.publishAsync('exact/a', 'shared', { qos: 1 });
    assert.deepEqual((await entries()).slice(-1), ['shared'], "held by a shared group's member");

    await shared.unsubscribeAsync('$share/g/exact/a');
    await pub.publishAsync('exact/a', 'after', { qos: 1 });
    assert.deepEqual(await entries(), ['online', 'offline', 'shared'], 'no longer indexed once nobody holds it');
  });

  it('a batch re-sent with the same envelope id is acknowledged but stored once', async () => {
    const pub = await h.client({ clientId: 'gw1' });
    const batch: ReadingBatch = { v: 1, type: 'batch', id: 'b-1', gateway: 'gw1', device: 'd1', stream: 'temp', readings: [{ seq: 1, ts: 1, value: 20 }] };
    const payload = encodeEnvelope(batch);
    await pub.publishAsync('telemetry/gw1/d1/temp', payload, { qos: 1 });
    await pub.publishAsync('telemetry/gw1/d1/temp', payload, { qos: 1 });
    assert.equal((await h.store.log.stats()).messages, 1);
    assert.equal(h.broker.counters.duplicatesDropped, 1);
  });

  it('without a dedupe hook the broker core stores every copy (it knows no payload format)', async () => {
    const plain = await new Harness().start();
    try {
      const pub = await plain.client({ clientId: 'gw1' });
      const payload = encodeEnvelope({ v: 1, type: 'batch', id: 'b-2', gateway: 'gw1', device: 'd1', stream: 'temp', readings: [{ seq: 1, ts: 1, value: 20 }] });
      await pub.publishAsync('telemetry/gw1/d1/temp', payload, { qos: 1 });
      await pub.publishAsync('telemetry/gw1/d1/temp', payload, { qos: 1 });
      assert.equal((await plain.store.log.stats()).messages, 2);
    } finally {
      await plain.close();
    }
  });

  it('stores and counts an undecodable payload on an uplink topic', async () => {
    const pub = await h.client({ clientId: 'gw1' });
    await pub.publishAsync('telemetry/gw1/d1/temp', 'not an envelope', { qos: 1 });
    assert.equal((await h.store.log.stats()).messages, 1);
    assert.equal(h.broker.counters.undecodablePayloads, 1);
  });

  it('QoS 2 inbound: a re-sent PUBLISH with the same packet id before PUBREL is not stored twice', async () => {
    const r = h.raw();
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'q2', clean: true, keepalive: 0 });
    await r.next('connack');
    const pkt = { cmd: 'publish', topic: 'q2/x', payload: Buffer.from('once'), qos: 2, dup: false, retain: false, messageId: 9 } as const;
    r.send(pkt);
    await r.next('pubrec');
    r.send({ ...pkt, dup: true });
    await r.next('pubrec');
    r.send({ cmd: 'pubrel', messageId: 9 });
    await r.next('pubcomp');
    assert.equal((await h.store.log.stats()).messages, 1);
  });

  it('v5: no-local, retain-as-published, subscription ids, properties, topic alias and message expiry', async () => {
    const c = await h.client({ protocolVersion: 5, clientId: 'me' });
    await c.subscribeAsync('nl/x', { qos: 1, nl: true });
    await c.subscribeAsync('props/#', { qos: 1, rap: true, properties: { subscriptionIdentifier: 42 } });
    const got = collect(c);
    await c.publishAsync('nl/x', 'mine', { qos: 1 });
    const other = await h.client({ protocolVersion: 5, clientId: 'other' });
    await other.publishAsync('props/a', 'p', {
      qos: 1,
      retain: true,
      properties: { contentType: 'text/plain', responseTopic: 'reply/me', correlationData: Buffer.from('c1'), userProperties: { k: 'v' }, messageExpiryInterval: 60, topicAlias: 3 },
    });
    await until(() => got.length === 1);
    await sleep(50);
    assert.equal(got.length, 1, 'no-local message was delivered');
    const p = got[0]!.packet;
    assert.equal(got[0]!.topic, 'props/a');
    assert.equal(p.retain, true);
    assert.equal(p.properties?.contentType, 'text/plain');
    assert.equal(p.properties?.responseTopic, 'reply/me');
    assert.equal(p.properties?.correlationData?.toString(), 'c1');
    assert.deepEqual({ ...p.properties?.userProperties }, { k: 'v' });
    assert.deepEqual(p.properties?.subscriptionIdentifier, 42);
    const left = p.properties?.messageExpiryInterval ?? 0;
    assert.ok(left > 55 && left <= 60, `expiry ${left}`);
  });

  it('does not deliver an expired message to a session that comes back later', async () => {
    const sub = await h.client({ protocolVersion: 5, clientId: 'exp', clean: false, properties: { sessionExpiryInterval: 300 } });
    await sub.subscribeAsync('exp/x', { qos: 1 });
    await sub.endAsync();
    const pub = await h.client({ protocolVersion: 5, clientId: 'pub' });
    await pub.publishAsync('exp/x', 'short', { qos: 1, properties: { messageExpiryInterval: 1 } });
    await pub.publishAsync('exp/x', 'long', { qos: 1, properties: { messageExpiryInterval: 100 } });
    await sleep(1100);
    const again = await h.client({ protocolVersion: 5, clientId: 'exp', clean: false, properties: { sessionExpiryInterval: 300 } });
    const got = collect(again);
    await until(() => got.length >= 1);
    await sleep(50);
    assert.deepEqual(got.map((g) => g.payload), ['long']);
  });
});
