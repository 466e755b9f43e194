import assert from 'node:assert/strict';
import { Harness, collect, sleep, until } from './fixtures/harness.js';

describe('broker: shared subscriptions', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await new Harness().start();
  });
  afterEach(async () => {
    await h.close();
  });

  it('$share/{group}/{filter}: each message to exactly one member, spread over the members', async () => {
    const a = await h.client({ protocolVersion: 5, clientId: 'a' });
    const b = await h.client({ protocolVersion: 5, clientId: 'b' });
    await a.subscribeAsync('$share/g1/job/+', { qos: 1 });
    await b.subscribeAsync('$share/g1/job/+', { qos: 1 });
    const plain = await h.client({ protocolVersion: 5, clientId: 'plain' });
    await plain.subscribeAsync('job/+', { qos: 1 });
    const pub = await h.client({ clientId: 'pub' });
    const n = 40;
    for (let i = 0; i < n; i++) await pub.publishAsync(`job/${i % 4}`, String(i), { qos: 1 });
    const ga = collect(a);
    const gb = collect(b);
    await until(() => ga.length + gb.length === n, 3000, 'all shared deliveries');
    await until(() => collect(plain).length === n, 3000, 'plain deliveries');
    await sleep(100);
    const all = [...ga, ...gb].map((g) => Number(g.payload)).sort((x, y) => x - y);
    assert.deepEqual(all, Array.from({ length: n }, (_, i) => i), 'a message went to no member or to two');
    assert.ok(ga.length > 0 && gb.length > 0, `unbalanced: ${ga.length}/${gb.length}`);
  });

  it('a member that leaves stops receiving; the rest get everything', async () => {
    const a = await h.client({ protocolVersion: 5, clientId: 'a' });
    const b = await h.client({ protocolVersion: 5, clientId: 'b' });
    await a.subscribeAsync('$share/g/w', { qos: 0 });
    await b.subscribeAsync('$share/g/w', { qos: 0 });
    await b.endAsync();
    const pub = await h.client({ clientId: 'pub' });
    for (let i = 0; i < 10; i++) await pub.publishAsync('w', String(i), { qos: 0 });
    await until(() => collect(a).length === 10, 2000, 'all to a');
  });

  it('a QoS 1 message a member took but never acknowledged goes to another member when its session ends', async () => {
    const r = h.raw(5);
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'taker', clean: true, keepalive: 0 }, 5);
    await r.next('connack');
    r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$share/g/jobs', qos: 1, nl: false, rap: false, rh: 0 }] }, 5);
    await r.next('suback');
    const pub = await h.client({ clientId: 'pub' });
    await pub.publishAsync('jobs', 'job-1', { qos: 1 });
    const taken = (await r.next('publish')) as { payload: Buffer };
    assert.equal(taken.payload.toString(), 'job-1');
    const other = await h.client({ protocolVersion: 5, clientId: 'other' });
    await other.subscribeAsync('$share/g/jobs', { qos: 1 });
    r.stream.destroy(); // never acknowledged
    await until(() => collect(other).length === 1, 2000, 'redelivery to the other member');
    assert.equal(collect(other)[0]!.payload, 'job-1');
  });

  it('refuses No Local on a shared subscription as a protocol error [MQTT-3.8.3-4]', async () => {
    const r = h.raw(5);
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'nl', clean: true, keepalive: 0 }, 5);
    await r.next('connack');
    r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$share/g/x', qos: 0, nl: true, rap: false, rh: 0 }] }, 5);
    const d = (await r.next('disconnect')) as { reasonCode?: number };
    assert.equal(d.reasonCode, 0x82);
  });
  it("the group's durable position stays at the oldest message a member has not acknowledged (a crash redelivers, never loses)", async () => {
    const r = h.raw(5);
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'slow', clean: true, keepalive: 0 }, 5);
    await r.next('connack');
    r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$share/g/jobs', qos: 1, nl: false, rap: false, rh: 0 }] }, 5);
    await r.next('suback');
    const pub = await h.client({ clientId: 'pub' });
    for (let i = 1; i <= 3; i++) await pub.publishAsync('jobs', `job-${i}`, { qos: 1 });
    const got = [];
    for (let i = 0; i < 3; i++) got.push((await r.next('publish')) as { messageId: number; payload: Buffer });
    const committed = async (): Promise<number | undefined> => {
      await h.broker.commitOffsets();
      return h.store.offsets.getOffset('$share/g', 't:jobs');
    };
    assert.equal(await committed(), 1, 'nothing acknowledged: the position stays at the first message');
    r.send({ cmd: 'puback', messageId: got[0]!.messageId, reasonCode: 0 }, 5);
    r.send({ cmd: 'puback', messageId: got[1]!.messageId, reasonCode: 0 }, 5);
    const eventually = async (want: number): Promise<void> => {
      const deadline = Date.now() + 2000;
      let last: number | undefined;
      while ((last = await committed()) !== want && Date.now() < deadline) await sleep(10);
      assert.equal(last, want);
    };
    await eventually(3); // past the two acknowledged ones, held at the third
    r.send({ cmd: 'puback', messageId: got[2]!.messageId, reasonCode: 0 }, 5);
    await eventually(4); // past everything acknowledged
  });
});
