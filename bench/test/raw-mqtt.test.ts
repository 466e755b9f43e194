import assert from 'node:assert/strict';
import { startCompetitor, stopAllCompetitors, type RunningBroker } from '../lib/competitors.js';
import { forEachConcurrent, rawConnect } from '../lib/raw-mqtt.js';

describe('bench raw MQTT client @e2e', function () {
  this.timeout(30_000);
  let broker: RunningBroker;
  before(async () => {
    broker = await startCompetitor('mosquitto', { persistence: false });
  });
  after(stopAllCompetitors);

  it('subscribes, publishes at QoS 1 (resolving on PUBACK) and receives the message', async () => {
    const got: Array<[string, string]> = [];
    const sub = await rawConnect({ host: '127.0.0.1', port: broker.port, clientId: 'raw-sub', clean: true, protocolVersion: 5, onMessage: (t, p) => got.push([t, p.toString()]) });
    await sub.subscribe('raw/+', 1);
    const pub = await rawConnect({ host: '127.0.0.1', port: broker.port, localAddress: '127.0.1.7', clientId: 'raw-pub', clean: true, protocolVersion: 4 });
    await pub.publish('raw/a', Buffer.from('hello'), 1);
    for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(got, [['raw/a', 'hello']]);
    await pub.disconnect();
    await sub.disconnect();
  });

  it('hands over messages queued for a persistent session that arrive right behind the CONNACK', async () => {
    const s = await rawConnect({ host: '127.0.0.1', port: broker.port, clientId: 'raw-persist', clean: false, protocolVersion: 4 });
    await s.subscribe('queued/#', 1);
    await s.disconnect();
    const pub = await rawConnect({ host: '127.0.0.1', port: broker.port, clientId: 'raw-pub2', clean: true, protocolVersion: 4 });
    await Promise.all([0, 1, 2].map((i) => pub.publish(`queued/${i}`, Buffer.from([i]), 1)));
    await pub.disconnect();
    const got: string[] = [];
    const again = await rawConnect({ host: '127.0.0.1', port: broker.port, clientId: 'raw-persist', clean: false, protocolVersion: 4, onMessage: (t) => got.push(t) });
    for (let i = 0; i < 50 && got.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(got.sort(), ['queued/0', 'queued/1', 'queued/2']);
    await again.disconnect();
  });

  it('rejects a refused SUBSCRIBE and a connection nobody accepts', async () => {
    const c = await rawConnect({ host: '127.0.0.1', port: broker.port, clientId: 'raw-bad', clean: true, protocolVersion: 5 });
    // a shared subscription with a wildcard in the share name is malformed [MQTT-4.8.2-2]: SUBACK 0x8F or a close
    await assert.rejects(c.subscribe('$share/a+b/x', 1));
    c.destroy();
    await assert.rejects(rawConnect({ host: '127.0.0.1', port: 1, clientId: 'nobody', clean: true, protocolVersion: 4, timeoutMs: 2000 }));
  });
});

describe('forEachConcurrent', () => {
  it('runs every index once with at most `concurrency` in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    const done = await forEachConcurrent(37, 5, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 1));
      seen.push(i);
      inFlight--;
    });
    assert.equal(done, 37);
    assert.equal(peak, 5);
    assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: 37 }, (_, i) => i));
  });

  it('stops starting tasks after a failure and rejects with it', async () => {
    let started = 0;
    await assert.rejects(forEachConcurrent(1000, 2, async (i) => {
      started++;
      if (i === 3) throw new Error('boom 3');
    }), /boom 3/);
    assert.ok(started < 10, `started ${started}`);
  });

  it('stops starting tasks at the deadline', async () => {
    const done = await forEachConcurrent(1_000_000, 4, () => new Promise((r) => setTimeout(r, 5)), Date.now() + 100);
    assert.ok(done > 0 && done < 1000, `done ${done}`);
  });
});
