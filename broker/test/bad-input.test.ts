import assert from 'node:assert/strict';
import mqtt from 'mqtt-packet';
import { Harness, collect, sleep, until, type RawClient } from './fixtures/harness.js';

describe('broker: bad input', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await new Harness({ maxPacketSize: 1024 }).start();
  });
  afterEach(async () => {
    await h.close();
  });

  it('closes a connection whose first packet is not CONNECT, and counts it', async () => {
    const r = h.raw();
    r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a', qos: 0 }] });
    await r.waitClosed();
    assert.equal(h.broker.counters.protocolErrors, 1);
  });

  it('closes on a malformed packet (reserved flags) and counts it; v5 gets DISCONNECT 0x81', async () => {
    const r = await h.rawConnected(5, 'm5');
    r.write(Buffer.from([0x82 | 0x01, 0x02, 0x00, 0x01])); // SUBSCRIBE with wrong fixed-header flags
    const d = (await r.next('disconnect')) as { reasonCode?: number };
    assert.equal(d.reasonCode, 0x81);
    await r.waitClosed();
    assert.equal(h.broker.counters.malformedPackets, 1);
  });

  it('3.1.1: garbage bytes are dropped by closing the connection', async () => {
    const r = await h.rawConnected(4, 'g4');
    r.write(Buffer.from([0xf0, 0x00])); // packet type 15 (AUTH) is not valid in 3.1.1
    await r.waitClosed();
    assert.ok(h.broker.counters.malformedPackets + h.broker.counters.protocolErrors >= 1);
  });

  it('refuses an unknown protocol version', async () => {
    const r = h.raw();
    // CONNECT "MQTT" level 9
    r.write(Buffer.from([0x10, 14, 0, 4, 0x4d, 0x51, 0x54, 0x54, 9, 0x02, 0, 0, 0, 2, 0x61, 0x62]));
    await r.waitClosed();
    assert.equal(h.broker.counters.protocolErrors, 1);
  });

  it('v5: an oversized packet is refused with DISCONNECT 0x95 as soon as its length is read', async () => {
    const r = await h.rawConnected(5, 'big');
    // only the fixed header of a 1 MiB PUBLISH: the broker must not wait for (or buffer) the body
    r.write(Buffer.from([0x30, 0x80, 0x80, 0x40]));
    const d = (await r.next('disconnect')) as { reasonCode?: number };
    assert.equal(d.reasonCode, 0x95);
    assert.equal(h.broker.counters.oversizedPackets, 1);
  });

  it('v5: an oversized packet that arrives whole in one read is refused too, and not stored', async () => {
    const r = await h.rawConnected(5, 'big-one-read');
    r.send({ cmd: 'publish', topic: 'big/one', payload: Buffer.alloc(2000, 0x61), qos: 1, dup: false, retain: false, messageId: 1 }, 5);
    const d = (await r.next('disconnect')) as { reasonCode?: number };
    assert.equal(d.reasonCode, 0x95);
    assert.equal(h.broker.counters.oversizedPackets, 1);
    assert.equal((await h.store.log.stats()).messages, 0);
  });

  it('v5: an invalid topic name (wildcard) gets DISCONNECT 0x90; other clients are unaffected', async () => {
    const bystander = await h.client({ clientId: 'ok' });
    await bystander.subscribeAsync('fine/#', { qos: 1 });
    const r = await h.rawConnected(5, 'bad');
    r.send({ cmd: 'publish', topic: 'a/+/b', payload: Buffer.from('x'), qos: 1, dup: false, retain: false, messageId: 1 }, 5);
    const d = (await r.next('disconnect')) as { reasonCode?: number };
    assert.equal(d.reasonCode, 0x90);
    assert.equal(h.broker.counters.invalidTopics, 1);
    const pub = await h.client({ clientId: 'pub' });
    await pub.publishAsync('fine/x', 'still here', { qos: 1 });
    await until(() => collect(bystander).length === 1);
  });

  it('v5: ill-formed UTF-8 in a topic name is a malformed packet (DISCONNECT 0x81)', async () => {
    const r = await h.rawConnected(5, 'utf8');
    // PUBLISH QoS 0, topic "a" 0xFF "b" (0xFF never occurs in UTF-8), no properties, payload "x"
    r.write(Buffer.from([0x30, 7, 0x00, 0x03, 0x61, 0xff, 0x62, 0x00, 0x78]));
    const d = (await r.next('disconnect')) as { reasonCode?: number };
    assert.equal(d.reasonCode, 0x81);
    assert.equal((await h.store.log.stats()).messages, 0);
  });

  it('v5: a PUBLISH whose property runs past the end of the packet is a malformed packet (DISCONNECT 0x81), not stored; others still are', async () => {
    const pub = await h.client({ clientId: 'pub' });
    const r = await h.rawConnected(5, 'short-prop');
    // PUBLISH QoS 1, topic "a", id 1, properties (3 bytes): Correlation Data of 16 bytes, none of them sent
    r.write(Buffer.from([0x32, 9, 0x00, 0x01, 0x61, 0x00, 0x01, 3, 0x09, 0x00, 0x10]));
    const d = (await r.next('disconnect')) as { reasonCode?: number };
    assert.equal(d.reasonCode, 0x81);
    assert.equal(h.broker.counters.malformedPackets, 1);
    assert.equal(r.packets.filter((p) => p.cmd === 'puback').length, 0, 'never acknowledged');
    await pub.publishAsync('fine/x', 'stored', { qos: 1 });
    const stats = await h.store.log.stats();
    assert.equal(stats.messages, 1, 'only the well-formed publish is stored');
  });

  it('v5: a topic alias beyond the maximum gets DISCONNECT 0x94', async () => {
    const r = await h.rawConnected(5, 'alias');
    r.send({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('x'), qos: 0, dup: false, retain: false, properties: { topicAlias: 1000 } }, 5);
    const d = (await r.next('disconnect')) as { reasonCode?: number };
    assert.equal(d.reasonCode, 0x94);
  });

  it('v5: an invalid subscription filter gets SUBACK 0x8F for that filter only', async () => {
    const r = await h.rawConnected(5, 'sf');
    r.send({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'a/#/b', qos: 1, nl: false, rap: false, rh: 0 }, { topic: 'ok/+', qos: 1, nl: false, rap: false, rh: 0 }] }, 5);
    const ack = (await r.next('suback')) as { granted: number[] };
    assert.deepEqual(ack.granted, [0x8f, 1]);
    assert.equal(r.closed, false);
  });

  it('a second CONNECT is a protocol error', async () => {
    const r = await h.rawConnected(5, 'twice');
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'twice', clean: true, keepalive: 0 }, 5);
    const d = (await r.next('disconnect')) as { reasonCode?: number };
    assert.equal(d.reasonCode, 0x82);
  });

  it('v5: a client exceeding our Receive Maximum gets DISCONNECT 0x93', async () => {
    await h.close();
    h = await new Harness({ maxInflight: 2 }).start();
    const { release } = h.holdAppends();
    const r = await h.rawConnected(5, 'flood');
    // One write, so the broker reads the third publish while the first two wait for their commits. (Once
    // maxInflight publishes wait, it stops reading the socket: a client that ignores our Receive Maximum,
    // as MQTT.js 5 does, is slowed down rather than disconnected for what it has not yet been read.)
    const publish = (i: number): Buffer => mqtt.generate({ cmd: 'publish', topic: 'f/x', payload: Buffer.from('x'), qos: 1, dup: false, retain: false, messageId: i }, { protocolVersion: 5 });
    r.write(Buffer.concat([publish(1), publish(2), publish(3)]));
    const d = (await r.next('disconnect')) as { reasonCode?: number };
    assert.equal(d.reasonCode, 0x93);
    release();
    await sleep(10);
  });

  describe('Receive Maximum with QoS 2: a publish counts until PUBCOMP is sent [MQTT-3.3.4-9, §4.9]', () => {
    const publish2 = (r: RawClient, id: number, version: 4 | 5): void =>
      r.send({ cmd: 'publish', topic: 'q2/x', payload: Buffer.from(String(id)), qos: 2, dup: false, retain: false, messageId: id }, version);

    beforeEach(async () => {
      await h.close();
      h = await new Harness({ maxInflight: 3 }).start();
    });

    it('v5: Receive Maximum + 1 QoS 2 publishes without PUBREL get DISCONNECT 0x93', async () => {
      const r = await h.rawConnected(5, 'q2-flood');
      for (let id = 1; id <= 3; id++) {
        publish2(r, id, 5);
        assert.equal(((await r.next('pubrec')) as { messageId?: number }).messageId, id);
      }
      publish2(r, 4, 5);
      const d = (await r.next('disconnect')) as { reasonCode?: number };
      assert.equal(d.reasonCode, 0x93);
      await r.waitClosed();
      assert.equal(r.packets.filter((p) => p.cmd === 'pubrec').length, 0, 'the fourth publish was not acknowledged');
      assert.equal(h.broker.counters.protocolErrors, 1);
      // the three stored ones are kept (they were PUBREC'd), the fourth is not
      assert.equal((await h.store.log.stats()).messages, 3);
    });

    it('v5: PUBREL → PUBCOMP frees the slot, so a client that completes its flows is never disconnected', async () => {
      const r = await h.rawConnected(5, 'q2-ok');
      for (let id = 1; id <= 10; id++) {
        publish2(r, id, 5);
        await r.next('pubrec');
        r.send({ cmd: 'pubrel', messageId: id }, 5);
        await r.next('pubcomp');
      }
      // three outstanding at once is within Receive Maximum
      for (let id = 11; id <= 13; id++) publish2(r, id, 5);
      for (let i = 0; i < 3; i++) await r.next('pubrec');
      r.send({ cmd: 'pingreq' }, 5);
      await r.next('pingresp');
      assert.equal(r.closed, false);
      assert.equal((await h.store.log.stats()).messages, 13);
    });

    it('v5: a re-sent QoS 2 publish whose PUBREC was lost is acknowledged again, not counted twice', async () => {
      const r = await h.rawConnected(5, 'q2-dup');
      for (let id = 1; id <= 3; id++) publish2(r, id, 5);
      for (let i = 0; i < 3; i++) await r.next('pubrec');
      r.send({ cmd: 'publish', topic: 'q2/x', payload: Buffer.from('3'), qos: 2, dup: true, retain: false, messageId: 3 }, 5);
      assert.equal(((await r.next('pubrec')) as { messageId?: number }).messageId, 3);
      assert.equal(r.closed, false);
    });

    it('3.1.1 has no Receive Maximum: many incomplete QoS 2 publishes are stored and PUBREC\'d, not disconnected', async () => {
      const r = await h.rawConnected(4, 'q2-v4');
      for (let id = 1; id <= 10; id++) publish2(r, id, 4);
      for (let i = 0; i < 10; i++) await r.next('pubrec');
      assert.equal(r.closed, false);
    });
  });
});
