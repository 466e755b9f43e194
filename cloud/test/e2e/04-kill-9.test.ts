import assert from 'node:assert/strict';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { removeDir, sleep, startBroker, tempDir, until, type BrokerProcess } from './fixtures/broker-process.js';

/**
 * Nothing acknowledged is lost: QoS 1 publishes in a loop, SIGKILL mid-stream, restart on the same
 * SQLite store; every PUBACKed message reaches the persistent sessions when they reconnect.
 */
describe('e2e 04: kill -9 the broker while publishing @e2e', function () {
  this.timeout(90_000);
  let dir: string;
  let broker: BrokerProcess | undefined;
  const clients: MqttClient[] = [];
  const url = (): string => `mqtt://127.0.0.1:${broker!.port}`;

  before(() => {
    dir = tempDir('e2e04');
  });
  after(async () => {
    for (const c of clients) c.end(true);
    await broker?.stop();
    removeDir(dir);
  });

  function client(opts: mqtt.IClientOptions): Promise<MqttClient> {
    return mqtt.connectAsync(url(), { reconnectPeriod: 0, connectTimeout: 5000, ...opts }).then((c) => {
      clients.push(c);
      return c;
    });
  }

  it('every PUBACKed QoS 1 message is delivered after SIGKILL and restart', async () => {
    const store = join(dir, 'store');
    broker = await startBroker(store);
    const offline = { protocolVersion: 4 as const, clientId: 'offline-sub', clean: false };
    const online = { protocolVersion: 5 as const, clientId: 'online-sub', clean: false, properties: { sessionExpiryInterval: 3600 } };
    const o1 = await client(offline);
    await o1.subscribeAsync('k9/+', { qos: 1 });
    await o1.endAsync();
    const live = await client(online);
    const liveGot = new Set<number>();
    live.on('message', (_t, p) => liveGot.add(Number(p.toString())));
    await live.subscribeAsync('k9/#', { qos: 1 });

    const pub = await client({ clientId: 'k9-pub' });
    pub.on('error', () => {});
    const acked = new Set<number>();
    let sent = 0;
    const KILL_AFTER = 300;
    const MAX = 20_000;
    const WINDOW = 32;
    const deadline = Date.now() + 30_000;
    let killed = false;
    // Bounded: at most MAX messages, at most 30 s, WINDOW unacknowledged at a time.
    while (!killed && sent < MAX && Date.now() < deadline) {
      if (sent - acked.size >= WINDOW) {
        await sleep(1);
        continue;
      }
      const i = sent++;
      pub.publish(`k9/${i % 4}`, String(i), { qos: 1 }, (err) => {
        if (!err) acked.add(i);
      });
      if (acked.size >= KILL_AFTER) {
        await broker.kill9();
        killed = true;
      }
    }
    assert.ok(killed, `only ${acked.size} acks before the deadline`);
    const ackedNow = [...acked];
    pub.end(true);
    live.end(true);

    broker = await startBroker(store);
    const o2 = mqtt.connect(url(), { ...offline, reconnectPeriod: 0 });
    clients.push(o2);
    const offGot = new Set<number>();
    o2.on('message', (_t, p) => offGot.add(Number(p.toString())));
    const l2 = mqtt.connect(url(), { ...online, reconnectPeriod: 0 });
    clients.push(l2);
    l2.on('message', (_t, p) => liveGot.add(Number(p.toString())));
    await until(() => ackedNow.every((i) => offGot.has(i) && liveGot.has(i)), 20_000, 'every acknowledged message');
    const missingOff = ackedNow.filter((i) => !offGot.has(i));
    const missingLive = ackedNow.filter((i) => !liveGot.has(i));
    assert.deepEqual(missingOff, []);
    assert.deepEqual(missingLive, []);
    assert.ok(ackedNow.length >= KILL_AFTER);
  });
});
