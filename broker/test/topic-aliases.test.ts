import assert from 'node:assert/strict';
import type { IPublishPacket } from 'mqtt-packet';
import { Harness, collect, until, type RawClient } from './fixtures/harness.js';

/**
 * Outbound topic aliases (issue 15): when a v5 client's CONNECT sets Topic Alias Maximum, the broker sends
 * a repeated topic as an alias, within that maximum [MQTT-3.1.2-26], never to a client that did not allow it
 * [MQTT-3.1.2-27], and not across connections [MQTT-3.3.2-7].
 */
describe('broker: outbound topic aliases (v5)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await new Harness().start();
  });
  afterEach(async () => {
    await h.close();
  });

  /** A raw v5 subscriber on `filter`; counts the bytes of everything it receives after SUBACK. */
  async function rawSubscriber(clientId: string, filter: string, props: Record<string, number>): Promise<{ r: RawClient; bytes: () => number }> {
    const r = h.raw(5);
    let bytes = 0;
    let counting = false;
    r.stream.on('data', (b: Buffer) => {
      if (counting) bytes += b.length;
    });
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId, clean: true, keepalive: 0, properties: props }, 5);
    await r.next('connack');
    r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos: 0, nl: false, rap: false, rh: 0 }] }, 5);
    await r.next('suback');
    counting = true;
    return { r, bytes: () => bytes };
  }

  async function publishes(r: RawClient, n: number): Promise<IPublishPacket[]> {
    const out: IPublishPacket[] = [];
    for (let i = 0; i < n; i++) out.push((await r.next('publish')) as IPublishPacket);
    return out;
  }

  it('sends the topic and a new alias first, then the alias with an empty topic', async () => {
    const { r } = await rawSubscriber('s', 'plant/#', { topicAliasMaximum: 10 });
    const pub = await h.client({ clientId: 'p' });
    for (const t of ['plant/a/temp', 'plant/b/temp', 'plant/a/temp', 'plant/a/temp', 'plant/b/temp']) await pub.publishAsync(t, 'x', { qos: 1 });
    const got = await publishes(r, 5);
    assert.deepEqual(
      got.map((p) => [p.topic, p.properties?.topicAlias]),
      [['plant/a/temp', 1], ['plant/b/temp', 2], ['', 1], ['', 1], ['', 2]],
    );
  });

  it('stays within the client\'s Topic Alias Maximum: a topic not used again gives its alias up first', async () => {
    const { r } = await rawSubscriber('s', 'lru/#', { topicAliasMaximum: 2 });
    const pub = await h.client({ clientId: 'p' });
    for (const t of ['lru/aaaa', 'lru/bbbb', 'lru/aaaa', 'lru/cccc', 'lru/aaaa', 'lru/bbbb']) await pub.publishAsync(t, 'x', { qos: 1 });
    const got = await publishes(r, 6);
    assert.deepEqual(
      got.map((p) => [p.topic, p.properties?.topicAlias]),
      // lru/bbbb was not used again when lru/cccc came (lru/aaaa was): it gave up alias 2, and sets one again later
      [['lru/aaaa', 1], ['lru/bbbb', 2], ['', 1], ['lru/cccc', 2], ['', 1], ['lru/bbbb', 2]],
    );
    assert.ok(got.every((p) => (p.properties?.topicAlias ?? 0) <= 2));
  });

  it('sends no alias to a client that did not allow them (absent or 0), nor to a 3.1.1 client', async () => {
    const { r: none } = await rawSubscriber('none', 'na/#', {});
    const { r: zero } = await rawSubscriber('zero', 'na/#', { topicAliasMaximum: 0 });
    const v4 = h.raw(4);
    v4.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'v4', clean: true, keepalive: 0 });
    await v4.next('connack');
    v4.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'na/#', qos: 0 }] });
    await v4.next('suback');
    const pub = await h.client({ clientId: 'p' });
    for (let i = 0; i < 3; i++) await pub.publishAsync('na/topic', 'x', { qos: 1 });
    for (const r of [none, zero, v4]) {
      const got = await publishes(r, 3);
      assert.deepEqual(got.map((p) => [p.topic, p.properties?.topicAlias]), [['na/topic', undefined], ['na/topic', undefined], ['na/topic', undefined]]);
    }
  });

  it('aliases start afresh on a new connection of the same persistent session [MQTT-3.3.2-7]', async () => {
    const connect = async (): Promise<RawClient> => {
      const r = h.raw(5);
      r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'keep', clean: false, keepalive: 0, properties: { topicAliasMaximum: 5, sessionExpiryInterval: 600 } }, 5);
      await r.next('connack');
      return r;
    };
    const first = await connect();
    first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'ks/#', qos: 0, nl: false, rap: false, rh: 0 }] }, 5);
    await first.next('suback');
    const pub = await h.client({ clientId: 'p' });
    await pub.publishAsync('ks/topic', '1', { qos: 1 });
    assert.equal((await publishes(first, 1))[0]!.properties?.topicAlias, 1);
    first.send({ cmd: 'disconnect' }, 5);
    await first.waitClosed();
    const second = await connect();
    await pub.publishAsync('ks/topic', '2', { qos: 1 });
    const [p] = await publishes(second, 1);
    assert.equal(p!.topic, 'ks/topic', 'the alias is set again, with its topic');
    assert.equal(p!.properties?.topicAlias, 1);
  });

  it('a delivery too big for the client is dropped without leaving the client an alias it never learnt', async () => {
    const { r } = await rawSubscriber('small', 'big/#', { topicAliasMaximum: 4, maximumPacketSize: 200 });
    const pub = await h.client({ clientId: 'p' });
    await pub.publishAsync('big/topic', Buffer.alloc(500), { qos: 1 }); // dropped [MQTT-3.1.2-25]
    await pub.publishAsync('big/topic', 'small', { qos: 1 });
    const [p] = await publishes(r, 1);
    assert.equal(p!.topic, 'big/topic');
    assert.equal(p!.payload.toString(), 'small');
    assert.equal(h.broker.counters.oversizedDrops, 1);
  });

  it('QoS 2 deliveries carry their topic, no alias (MQTT.js emits a QoS 2 message from the packet it stored)', async () => {
    const r = h.raw(5);
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'q2', clean: true, keepalive: 0, properties: { topicAliasMaximum: 4 } }, 5);
    await r.next('connack');
    r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q2/#', qos: 2, nl: false, rap: false, rh: 0 }] }, 5);
    await r.next('suback');
    const pub = await h.client({ clientId: 'p' });
    await pub.publishAsync('q2/topic', '1', { qos: 1 }); // delivered at QoS 1: aliased
    await pub.publishAsync('q2/topic', '2', { qos: 2 }); // delivered at QoS 2: full topic
    await pub.publishAsync('q2/topic', '3', { qos: 1 }); // the alias set by the first still holds
    const got = await publishes(r, 3);
    assert.deepEqual(got.map((p) => [p.qos, p.topic, p.properties?.topicAlias]), [[1, 'q2/topic', 1], [2, 'q2/topic', undefined], [1, '', 1]]);
  });

  it('MQTT.js v5 subscribers decode aliased deliveries to their topics (QoS 0, 1, 2, wildcards, retained)', async () => {
    const sub = await h.client({ protocolVersion: 5, clientId: 'js', properties: { topicAliasMaximum: 3 } });
    const got = collect(sub);
    const pub = await h.client({ clientId: 'p' });
    await pub.publishAsync('js/retained/one', 'r', { qos: 1, retain: true });
    await sub.subscribeAsync('js/#', { qos: 2 });
    await until(() => got.length === 1, 2000, 'the retained message');
    const topics = ['js/a/temp', 'js/b/temp', 'js/a/temp', 'js/c/temp', 'js/d/temp', 'js/a/temp', 'js/b/temp', 'js/retained/one'];
    for (let i = 0; i < topics.length; i++) await pub.publishAsync(topics[i]!, String(i), { qos: (i % 3) as 0 | 1 | 2 });
    await until(() => got.length === 1 + topics.length, 2000, 'every message');
    // MQTT.js emits a QoS 2 message at PUBREL, after QoS 0/1 ones that arrived later: compare by payload
    const byPayload = got.slice(1).sort((x, y) => Number(x.payload) - Number(y.payload));
    assert.equal(`${got[0]!.topic}=${got[0]!.payload}`, 'js/retained/one=r');
    assert.deepEqual(byPayload.map((g) => `${g.topic}=${g.payload}`), topics.map((t, i) => `${t}=${i}`));
    assert.ok(got.some((g) => g.packet.topic === '' && g.packet.properties?.topicAlias !== undefined), 'some deliveries came as aliases');
  });

  it('bytes per message: a repeated 35-byte Causeway topic costs 32 bytes fewer with an alias (64-byte payloads)', async () => {
    const topic = 'telemetry/gw-0001/th-17/temperature';
    const n = 100;
    const plain = await rawSubscriber('plain', 'telemetry/#', {});
    const aliased = await rawSubscriber('aliased', 'telemetry/#', { topicAliasMaximum: 16 });
    const pub = await h.client({ clientId: 'p' });
    const payload = Buffer.alloc(64, 0x61);
    for (let i = 0; i < n; i++) await pub.publishAsync(topic, payload, { qos: 0 });
    await publishes(plain.r, n);
    await publishes(aliased.r, n);
    const without = plain.bytes() / n;
    const withAlias = aliased.bytes() / n;
    // The first PUBLISH carries the topic and 3 bytes of alias property; each later one an empty topic
    // (2 bytes of length) and the 3-byte property instead of the topic's 2 + 35 bytes.
    assert.equal(plain.bytes() - aliased.bytes(), (n - 1) * (topic.length - 3) - 3);
    process.stdout.write(`      bytes per QoS 0 delivery on ${topic} (64-byte payload): ${without.toFixed(1)} without alias, ${withAlias.toFixed(1)} with (${n} messages)\n`);
  });
});
