import assert from 'node:assert/strict';
import { Harness, collect, sleep, until } from './fixtures/harness.js';

describe('broker: retained messages and wills', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await new Harness().start();
  });
  afterEach(async () => {
    await h.close();
  });

  it('sends the retained message on subscribe with RETAIN set, and an empty payload clears it', async () => {
    const pub = await h.client({ clientId: 'pub' });
    await pub.publishAsync('r/a', 'keep', { qos: 1, retain: true });
    await pub.publishAsync('r/b', 'keep-b', { qos: 1, retain: true });
    const s1 = await h.client({ clientId: 's1' });
    await s1.subscribeAsync('r/+', { qos: 1 });
    const got = collect(s1);
    await until(() => got.length === 2);
    assert.deepEqual(got.map((g) => [g.topic, g.payload, g.packet.retain]).sort(), [['r/a', 'keep', true], ['r/b', 'keep-b', true]]);
    // a live message on a retained topic goes out with RETAIN 0 to existing subscribers [MQTT-3.3.1-9]
    await pub.publishAsync('r/a', 'live', { qos: 1, retain: true });
    await until(() => got.length === 3);
    assert.equal(got[2]!.packet.retain, false);
    await pub.publishAsync('r/a', '', { qos: 1, retain: true });
    const s2 = await h.client({ clientId: 's2' });
    await s2.subscribeAsync('r/a', { qos: 1 });
    await sleep(100);
    assert.equal(collect(s2).length, 0, 'cleared retained message was sent');
  });

  it('v5 retain handling: 1 sends only for a new subscription, 2 never', async () => {
    const pub = await h.client({ clientId: 'pub' });
    await pub.publishAsync('rh/a', 'x', { qos: 1, retain: true });
    const c = await h.client({ protocolVersion: 5, clientId: 'rh' });
    const got = collect(c);
    await c.subscribeAsync('rh/a', { qos: 1, rh: 1 });
    await until(() => got.length === 1);
    await c.subscribeAsync('rh/a', { qos: 1, rh: 1 });
    await c.subscribeAsync('rh/#', { qos: 1, rh: 2 });
    await sleep(100);
    assert.equal(got.length, 1);
  });

  it('publishes the will when a client drops without DISCONNECT, not after a clean one', async () => {
    const watcher = await h.client({ clientId: 'w' });
    await watcher.subscribeAsync('status/+', { qos: 1 });
    const got = collect(watcher);
    const r = h.raw();
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'dev1', clean: true, keepalive: 0, will: { topic: 'status/dev1', payload: Buffer.from('offline'), qos: 1, retain: true } });
    await r.next('connack');
    r.stream.destroy();
    await until(() => got.length === 1);
    assert.equal(got[0]!.payload, 'offline');
    const retained = await h.store.retained.matchRetained('status/dev1');
    assert.equal(retained.length, 1);

    const polite = await h.client({ clientId: 'dev2', will: { topic: 'status/dev2', payload: Buffer.from('offline'), qos: 1, retain: false } });
    await polite.endAsync();
    await sleep(100);
    assert.equal(got.length, 1);
    assert.equal(h.broker.counters.willsPublished, 1);
  });

  it('v5 will delay: waits, and a reconnect within the delay cancels the will', async () => {
    const watcher = await h.client({ clientId: 'w' });
    await watcher.subscribeAsync('wd/+', { qos: 1 });
    const got = collect(watcher);
    const connect = (id: string) => ({
      cmd: 'connect' as const, protocolId: 'MQTT' as const, protocolVersion: 5 as const, clientId: id, clean: false, keepalive: 0,
      properties: { sessionExpiryInterval: 60 },
      will: { topic: `wd/${id}`, payload: Buffer.from('gone'), qos: 1 as const, retain: false, properties: { willDelayInterval: 1 } },
    });
    const a = h.raw(5);
    a.send(connect('a'), 5);
    await a.next('connack');
    const b = h.raw(5);
    b.send(connect('b'), 5);
    await b.next('connack');
    a.stream.destroy();
    b.stream.destroy();
    await sleep(300);
    assert.equal(got.length, 0, 'will sent before its delay');
    const b2 = h.raw(5);
    b2.send(connect('b'), 5);
    await b2.next('connack');
    await until(() => got.length === 1, 2000, 'delayed will');
    await sleep(900);
    assert.deepEqual(got.map((g) => g.topic), ['wd/a']);
  });

  it('v5 DISCONNECT with reason 0x04 publishes the will', async () => {
    const watcher = await h.client({ clientId: 'w' });
    await watcher.subscribeAsync('dw/x', { qos: 0 });
    const got = collect(watcher);
    const r = h.raw(5);
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'dw', clean: true, keepalive: 0, will: { topic: 'dw/x', payload: Buffer.from('w'), qos: 0, retain: false } }, 5);
    await r.next('connack');
    r.send({ cmd: 'disconnect', reasonCode: 0x04 }, 5);
    await until(() => got.length === 1);
  });
  it('retained messages that do not fit the client\'s receive maximum are delayed until acks free the window, not dropped', async () => {
    const pub = await h.client({ clientId: 'pub-r' });
    for (let i = 1; i <= 3; i++) await pub.publishAsync(`rm/${i}`, `r${i}`, { qos: 1, retain: true });
    const r = h.raw(5);
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'narrow', clean: true, keepalive: 0, properties: { receiveMaximum: 1 } }, 5);
    await r.next('connack');
    r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'rm/#', qos: 1, nl: false, rap: false, rh: 0 }] }, 5);
    await r.next('suback');
    const got: string[] = [];
    for (let i = 0; i < 3; i++) {
      const p = (await r.next('publish')) as { messageId: number; payload: Buffer; retain: boolean };
      assert.equal(p.retain, true);
      got.push(p.payload.toString());
      r.send({ cmd: 'puback', messageId: p.messageId, reasonCode: 0 }, 5);
    }
    assert.deepEqual(got.sort(), ['r1', 'r2', 'r3']);
  });
});
