import assert from 'node:assert/strict';
import { Harness, collect, sleep, until } from './fixtures/harness.js';
import { createLogger } from '@causeway/shared';
import { normalizeBrokerOptions } from '../src/options.js';

describe('broker: limits and backpressure', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('a consumer that stops reading holds bounded broker memory; the backlog stays in the log', async () => {
    h = await new Harness({ maxQueuedPerSession: 1000 }).start();
    const r = h.raw();
    r.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'slow', clean: true, keepalive: 0 });
    await r.next('connack');
    r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'bp/#', qos: 0 }] });
    await r.next('suback');
    r.stream.pause(); // stop reading
    const conn = [...h.broker.connections].find((c) => c.clientId === 'slow')!;
    const pub = await h.client({ clientId: 'pub' });
    const payload = Buffer.alloc(1024, 1);
    let maxBuffered = 0;
    for (let i = 0; i < 3000; i++) {
      pub.publish('bp/x', payload, { qos: 0 });
      if (i % 100 === 0) {
        await sleep(1);
        maxBuffered = Math.max(maxBuffered, conn.stream.writableLength);
      }
    }
    await until(() => h!.broker.counters.publishesIn === 3000, 5000, 'all stored');
    await sleep(50);
    maxBuffered = Math.max(maxBuffered, conn.stream.writableLength);
    assert.ok(maxBuffered < 256 * 1024, `broker buffered ${maxBuffered} bytes for a stalled reader`);
    assert.equal(conn.writable, false, 'socket backpressure not seen');
    // Reading again: the lag beyond maxQueuedPerSession is skipped (counted), the rest comes from the log.
    r.stream.resume();
    const received = (): number => r.packets.filter((p) => p.cmd === 'publish').length;
    await until(() => received() + h!.broker.counters.slowConsumerDrops === 3000, 5000, 'every message delivered or counted as dropped');
    assert.ok(h.broker.counters.slowConsumerDrops >= 1000, `drops ${h.broker.counters.slowConsumerDrops}`);
    assert.ok(received() >= 1000, `received ${received()}`);
  });

  it('a QoS 0 flood stops being read while the store is behind, and is read again once it catches up', async () => {
    h = await new Harness().start();
    const held = h.holdAppends();
    const pub = await h.client({ clientId: 'flood' });
    for (let i = 0; i < 3000; i++) pub.publish('flood/x', 'x', { qos: 0 });
    await sleep(200);
    assert.ok(held.calls <= 1100, `${held.calls} appends outstanding: reading was not paused`);
    held.release();
    await until(() => h!.broker.counters.publishesIn === 3000, 5000, 'the rest after the store caught up');
  });

  it('refuses connections beyond maxConnections', async () => {
    h = await new Harness({ maxConnections: 1 }).start();
    await h.client({ clientId: 'one' });
    const r = h.raw();
    await r.waitClosed();
    assert.equal(h.broker.counters.connectionsRefused, 1);
  });

  it('refuses connections from one source beyond maxConnectionsPerSource, counts and logs them rate-limited (issue 23 item 8)', async () => {
    const lines: string[] = [];
    h = await new Harness({ maxConnectionsPerSource: 2, logger: createLogger({ write: (l) => lines.push(l) }) }).start();
    await h.client({ clientId: 'one' });
    await h.client({ clientId: 'two' });
    const refused = Array.from({ length: 20 }, () => h!.raw());
    await Promise.all(refused.map((r) => r.waitClosed()));
    assert.equal(h.broker.counters.connectionsRefusedPerSource, 20);
    const logged = lines.filter((l) => l.includes('limits.maxConnectionsPerSource'));
    assert.ok(logged.length >= 1 && logged.length <= 5, `${logged.length} refusal lines for 20 refusals`);
    assert.equal(h.broker.counters.logLinesSuppressed, 20 - logged.length);
    assert.equal(JSON.parse(logged[0]!).limit, 2);
  });

  it('gives a source its slot back when one of its connections closes, refused ones leaving none taken', async () => {
    h = await new Harness({ maxConnectionsPerSource: 2 }).start();
    const one = await h.client({ clientId: 'one' });
    await h.client({ clientId: 'two' });
    await Promise.all(Array.from({ length: 5 }, () => h!.raw().waitClosed()));
    assert.equal(h.broker.counters.connectionsRefusedPerSource, 5);
    await one.endAsync();
    await until(() => h!.broker.counters.connectionsOpen === 1, 2000, 'the closed connection to be gone');
    const three = await h.client({ clientId: 'three' });
    assert.equal(three.connected, true, 'the freed slot is usable');
    await h.raw().waitClosed();
    assert.equal(h.broker.counters.connectionsRefusedPerSource, 6, 'and the limit still holds');
  });

  it('caps connections per source by default, high enough for a fleet behind one NAT address', () => {
    assert.equal(normalizeBrokerOptions({}).maxConnectionsPerSource, 1000);
  });

  it('v5: does not send a message larger than the client Maximum Packet Size, and counts it', async () => {
    h = await new Harness().start();
    const c = await h.client({ protocolVersion: 5, clientId: 'small', properties: { maximumPacketSize: 200 } });
    await c.subscribeAsync('mp/#', { qos: 1 });
    const pub = await h.client({ clientId: 'pub' });
    await pub.publishAsync('mp/big', Buffer.alloc(500), { qos: 1 });
    await pub.publishAsync('mp/small', 'ok', { qos: 1 });
    await until(() => collect(c).length === 1);
    await sleep(50);
    assert.deepEqual(collect(c).map((m) => m.topic), ['mp/small']);
    assert.equal(h.broker.counters.oversizedDrops, 1);
  });

  it('takeover of a persistent session keeps its subscriptions and undelivered messages', async () => {
    h = await new Harness().start();
    const a = await h.client({ clientId: 'same', clean: false });
    await a.subscribeAsync('to/#', { qos: 1 });
    const b = await h.client({ clientId: 'same', clean: false });
    await until(() => !a.connected, 2000, 'old connection closed');
    const pub = await h.client({ clientId: 'pub' });
    await pub.publishAsync('to/x', 'after takeover', { qos: 1 });
    await until(() => collect(b).length === 1);
    assert.equal(collect(a).length, 0);
  });
});
