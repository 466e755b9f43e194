import assert from 'node:assert/strict';
import { duplexPair } from './fixtures/duplex-pair.js';
import { Broker } from '../src/broker.js';
import { Harness, RawClient, collect, sleep, until } from './fixtures/harness.js';

describe('broker: sessions', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await new Harness().start();
  });
  afterEach(async () => {
    await h.close();
  });

  for (const version of [4, 5] as const) {
    const persistent = version === 5 ? { protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 3600 } } : { protocolVersion: 4 as const, clean: false };

    it(`v${version}: an offline persistent session catches up from its offsets on reconnect`, async () => {
      const sub = await h.client({ clientId: 'p1', ...persistent });
      await sub.subscribeAsync('cu/#', { qos: 1 });
      await sub.endAsync();
      const pub = await h.client({ clientId: 'pub' });
      for (let i = 0; i < 20; i++) await pub.publishAsync(`cu/${i % 3}`, String(i), { qos: 1 });
      const again = await h.client({ clientId: 'p1', ...persistent });
      const got = collect(again);
      await until(() => got.length === 20, 2000, '20 messages');
      assert.deepEqual(got.map((g) => g.payload), Array.from({ length: 20 }, (_, i) => String(i)));
    });

    it(`v${version}: a persistent session survives a broker restart (offsets and subscriptions from the store)`, async () => {
      const sub = await h.client({ clientId: 'p2', ...persistent });
      await sub.subscribeAsync('rs/+', { qos: 1 });
      await sub.endAsync();
      await h.restart();
      const pub = await h.client({ clientId: 'pub' });
      for (let i = 0; i < 5; i++) await pub.publishAsync('rs/a', String(i), { qos: 1 });
      await h.restart();
      const again = await h.client({ clientId: 'p2', ...persistent });
      const got = collect(again);
      await until(() => got.length === 5, 2000, '5 messages after restarts');
      assert.deepEqual(got.map((g) => g.payload), ['0', '1', '2', '3', '4']);
    });
  }

  it('clean session discards the stored session', async () => {
    const sub = await h.client({ clientId: 'c1', clean: false });
    await sub.subscribeAsync('cl/x', { qos: 1 });
    await sub.endAsync();
    const fresh = await h.client({ clientId: 'c1', clean: true });
    await fresh.endAsync();
    const pub = await h.client({ clientId: 'pub' });
    await pub.publishAsync('cl/x', 'gone', { qos: 1 });
    const back = await h.client({ clientId: 'c1', clean: false });
    const got = collect(back);
    await sleep(100);
    assert.equal(got.length, 0);
    assert.equal(await h.store.sessions.getSession('c1').then((s) => s?.subscriptions.length ?? 0), 0);
  });

  it('v5 session expiry: the session is gone after its interval', async () => {
    const sub = await h.client({ protocolVersion: 5, clientId: 'e1', clean: false, properties: { sessionExpiryInterval: 1 } });
    await sub.subscribeAsync('ex/x', { qos: 1 });
    await sub.endAsync();
    assert.ok(await h.store.sessions.getSession('e1'));
    await sleep(1200);
    assert.equal(await h.store.sessions.getSession('e1'), undefined);
    assert.equal(h.broker.sessions.has('e1'), false);
  });

  it('v5 DISCONNECT can shorten the session expiry to 0 (the session ends), but not raise it from 0', async () => {
    const r = h.raw(5);
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'dx', clean: false, keepalive: 0, properties: { sessionExpiryInterval: 600 } }, 5);
    await r.next('connack');
    r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'dx/x', qos: 1, nl: false, rap: false, rh: 0 }] }, 5);
    await r.next('suback');
    assert.ok(await h.store.sessions.getSession('dx'));
    r.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 0 } }, 5);
    await r.waitClosed();
    await until(() => !h.broker.sessions.has('dx'), 2000, 'session ended');
    assert.equal(await h.store.sessions.getSession('dx'), undefined);

    const r2 = h.raw(5);
    r2.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'dz', clean: true, keepalive: 0 }, 5);
    await r2.next('connack');
    r2.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 60 } }, 5);
    const d = (await r2.next('disconnect')) as { reasonCode?: number };
    assert.equal(d.reasonCode, 0x82);
  });

  it('re-sends unacknowledged QoS 1 messages with DUP on reconnect', async () => {
    const r = h.raw();
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'dupc', clean: false, keepalive: 0 });
    await r.next('connack');
    r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'd/x', qos: 1 }] });
    await r.next('suback');
    const pub = await h.client({ clientId: 'pub' });
    await pub.publishAsync('d/x', 'm1', { qos: 1 });
    const first = (await r.next('publish')) as { dup: boolean; payload: Buffer };
    assert.equal(first.dup, false);
    r.stream.destroy(); // no PUBACK
    await sleep(50);
    const r2 = h.raw();
    r2.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'dupc', clean: false, keepalive: 0 });
    const ack = (await r2.next('connack')) as { sessionPresent: boolean };
    assert.equal(ack.sessionPresent, true);
    const again = (await r2.next('publish')) as { dup: boolean; payload: Buffer; messageId: number };
    assert.equal(again.dup, true);
    assert.equal(again.payload.toString(), 'm1');
    r2.send({ cmd: 'puback', messageId: again.messageId });
    await sleep(50);
    assert.equal(r2.packets.filter((p) => p.cmd === 'publish').length, 0);
  });

  it('QoS 2 outbound: PUBREC → PUBREL → PUBCOMP, and PUBREL is re-sent after reconnect', async () => {
    const r = h.raw();
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'q2o', clean: false, keepalive: 0 });
    await r.next('connack');
    r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q/x', qos: 2 }] });
    await r.next('suback');
    const pub = await h.client({ clientId: 'pub' });
    await pub.publishAsync('q/x', 'two', { qos: 2 });
    const p = (await r.next('publish')) as { messageId: number; qos: number };
    assert.equal(p.qos, 2);
    r.send({ cmd: 'pubrec', messageId: p.messageId });
    await r.next('pubrel');
    r.stream.destroy();
    await sleep(50);
    const r2 = h.raw();
    r2.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'q2o', clean: false, keepalive: 0 });
    await r2.next('connack');
    const rel = (await r2.next('pubrel')) as { messageId: number };
    assert.equal(rel.messageId, p.messageId);
    r2.send({ cmd: 'pubcomp', messageId: rel.messageId });
    await sleep(50);
    assert.equal(r2.packets.filter((x) => x.cmd === 'publish').length, 0, 'message re-sent after PUBREC');
  });

  it('unsubscribe stops delivery; v5 UNSUBACK says whether the subscription existed', async () => {
    const c = await h.client({ protocolVersion: 5, clientId: 'u' });
    await c.subscribeAsync('u/+', { qos: 1 });
    const got = collect(c);
    const pub = await h.client({ clientId: 'pub' });
    await pub.publishAsync('u/a', '1', { qos: 1 });
    await until(() => got.length === 1);
    const ack = (await c.unsubscribeAsync(['u/+', 'never/subscribed'])) as unknown as { reasonCode?: number };
    void ack;
    await pub.publishAsync('u/a', '2', { qos: 1 });
    await sleep(100);
    assert.equal(got.length, 1);
  });
  it('after a broker crash, an unacknowledged QoS 1 message is resent to the persistent session with DUP', async () => {
    const r = h.raw(5);
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'crashy', clean: false, keepalive: 0, properties: { sessionExpiryInterval: 600 } }, 5);
    await r.next('connack');
    r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'crash/t', qos: 1, nl: false, rap: false, rh: 0 }] }, 5);
    await r.next('suback');
    const pub = await h.client({ clientId: 'pub-c' });
    await pub.publishAsync('crash/t', 'once', { qos: 1 });
    const first = (await r.next('publish')) as { dup: boolean; payload: Buffer };
    assert.equal(first.dup, false);
    await h.broker.commitOffsets(); // the periodic commit a running broker does every second
    // "crash": the old broker is never closed; a new one starts on the same store
    const next = new Broker(h.store, {});
    await next.start();
    const [clientSide, serverSide] = duplexPair();
    next.handle(serverSide);
    const r2 = new RawClient(clientSide, 5);
    r2.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'crashy', clean: false, keepalive: 0, properties: { sessionExpiryInterval: 600 } }, 5);
    const ack = (await r2.next('connack')) as { sessionPresent: boolean };
    assert.equal(ack.sessionPresent, true);
    const again = (await r2.next('publish')) as { dup: boolean; payload: Buffer };
    assert.equal(again.payload.toString(), 'once');
    assert.equal(again.dup, true);
    r2.stream.destroy();
    await next.close();
  });
});
