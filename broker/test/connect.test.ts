import assert from 'node:assert/strict';
import { Harness, sleep } from './fixtures/harness.js';

describe('broker: connect', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await new Harness().start();
  });
  afterEach(async () => {
    await h.close();
  });

  for (const protocolVersion of [3, 4, 5] as const) {
    it(`accepts MQTT protocol version ${protocolVersion}`, async () => {
      const c = await h.client({ protocolVersion, clientId: `c${protocolVersion}` });
      assert.equal(c.connected, true);
      assert.equal(h.broker.counters.connectionsOpen, 1);
    });
  }

  it('accepts a Mosquitto bridge (protocol version 0x84) as 3.1.1 and notes it', async () => {
    const r = h.raw();
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'bridge1', clean: true, keepalive: 60, bridgeMode: true } as never);
    const ack = await r.next('connack');
    assert.equal((ack as { returnCode?: number }).returnCode, 0);
    const conn = [...h.broker.connections][0]!;
    assert.equal(conn.bridge, true);
    assert.equal(conn.version, 4);
  });

  it('assigns a client id to a v5 client with an empty id', async () => {
    const c = await h.client({ protocolVersion: 5, clientId: '' });
    await sleep(10);
    const id = [...h.broker.sessions.keys()][0]!;
    assert.match(id, /^cw-[0-9a-f]{16}$/);
    assert.equal(c.connected, true);
  });

  it('refuses an empty client id with a 3.1.1 persistent session (CONNACK 0x02)', async () => {
    const r = h.raw();
    // mqtt-packet refuses to generate this, so the bytes are written by hand: CONNECT, "MQTT" 4, flags 0, id "".
    r.write(Buffer.from([0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x00, 0, 0, 0, 0]));
    const ack = await r.next('connack');
    assert.equal((ack as { returnCode?: number }).returnCode, 2);
    await r.waitClosed();
  });

  it('serves packets pipelined behind CONNECT in the same write', async () => {
    const r = h.raw();
    const mqttPacket = (await import('mqtt-packet')).default;
    r.write(
      Buffer.concat([
        mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'pipe', clean: true, keepalive: 0 }),
        mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'pipe/x', qos: 1 }] }),
        mqttPacket.generate({ cmd: 'pingreq' }),
      ]),
    );
    await r.next('connack');
    await r.next('suback');
    await r.next('pingresp');
    assert.equal(r.closed, false);
  });

  it('takes over a client id: the old connection is closed, v5 told 0x8E', async () => {
    const r = h.raw(5);
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'dup', clean: true, keepalive: 0 }, 5);
    await r.next('connack');
    const c2 = await h.client({ protocolVersion: 5, clientId: 'dup' });
    const d = await r.next('disconnect');
    assert.equal((d as { reasonCode?: number }).reasonCode, 0x8e);
    await r.waitClosed();
    assert.equal(c2.connected, true);
    assert.equal(h.broker.counters.takeovers, 1);
  });

  it('enforces keep-alive at 1.5x: a silent client is dropped', async () => {
    const r = h.raw(5);
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'ka', clean: true, keepalive: 1 }, 5);
    await r.next('connack');
    const t0 = Date.now();
    const d = await r.next('disconnect', 3000);
    const waited = Date.now() - t0;
    assert.equal((d as { reasonCode?: number }).reasonCode, 0x8d);
    assert.ok(waited >= 1400 && waited < 2500, `dropped after ${waited} ms`);
    assert.equal(h.broker.counters.keepAliveTimeouts, 1);
  });

  it('answers PINGREQ and a pinging client stays connected past the keep-alive', async () => {
    const r = h.raw();
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'ping', clean: true, keepalive: 1 });
    await r.next('connack');
    for (let i = 0; i < 4; i++) {
      await sleep(500);
      r.send({ cmd: 'pingreq' });
      await r.next('pingresp');
    }
    assert.equal(r.closed, false);
  });

  it('tells a v5 client a Server Keep Alive when it asks for more than allowed', async () => {
    await h.close();
    h = await new Harness({ maxKeepAlive: 30 }).start();
    const r = h.raw(5);
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'ska', clean: true, keepalive: 0 }, 5);
    const ack = (await r.next('connack')) as { properties?: { serverKeepAlive?: number } };
    assert.equal(ack.properties?.serverKeepAlive, 30);
  });
});
