import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { removeDir, startBroker, tempDir, until, type BrokerProcess } from './fixtures/broker-process.js';

describe('e2e 01: MQTT.js clients against the broker process @e2e', function () {
  this.timeout(60_000);
  let dir: string;
  let broker: BrokerProcess | undefined;
  const clients: MqttClient[] = [];

  before(async () => {
    dir = tempDir('e2e01');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    broker = await startBroker(join(dir, 'store'), ['--mqtt.ws.port', '0', '--mqtt.tls.port', '0', '--mqtt.tls.cert', join(dir, 'cert.pem'), '--mqtt.tls.key', join(dir, 'key.pem')]);
  });

  after(async () => {
    for (const c of clients) c.end(true);
    await broker?.stop();
    removeDir(dir);
  });

  async function connect(url: string, opts: mqtt.IClientOptions): Promise<MqttClient> {
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    clients.push(c);
    return c;
  }

  for (const protocolVersion of [4, 5] as const) {
    it(`v${protocolVersion === 4 ? '3.1.1' : '5'}: QoS 0/1/2 publish and subscribe over TCP`, async () => {
      const url = `mqtt://127.0.0.1:${broker!.port}`;
      const sub = await connect(url, { protocolVersion, clientId: `sub${protocolVersion}` });
      const got: string[] = [];
      sub.on('message', (_t, p) => got.push(p.toString()));
      await sub.subscribeAsync(`e1/v${protocolVersion}/#`, { qos: 2 });
      const pub = await connect(url, { protocolVersion, clientId: `pub${protocolVersion}` });
      for (const qos of [0, 1, 2] as const) await pub.publishAsync(`e1/v${protocolVersion}/q${qos}`, `m${qos}`, { qos });
      await until(() => got.length === 3, 5000, 'three messages');
      assert.deepEqual(got, ['m0', 'm1', 'm2']);
    });
  }

  it('WebSocket (subprotocol mqtt) and TLS listeners carry MQTT too', async () => {
    const ws = await connect(`ws://127.0.0.1:${broker!.wsPort}`, { protocolVersion: 5, clientId: 'ws1' });
    const got: string[] = [];
    ws.on('message', (t, p) => got.push(`${t}=${p}`));
    await ws.subscribeAsync('e1/ws', { qos: 1 });
    const tls = await connect(`mqtts://127.0.0.1:${broker!.tlsPort}`, { protocolVersion: 4, clientId: 'tls1', rejectUnauthorized: false });
    await tls.publishAsync('e1/ws', 'over-tls', { qos: 1 });
    await until(() => got.length === 1, 5000, 'message over ws');
    assert.deepEqual(got, ['e1/ws=over-tls']);
  });

  it('a persistent v5 session and a retained message survive a graceful broker restart', async () => {
    const url = (): string => `mqtt://127.0.0.1:${broker!.port}`;
    const opts = { protocolVersion: 5 as const, clientId: 'keeper', clean: false, properties: { sessionExpiryInterval: 600 } };
    const s1 = await connect(url(), opts);
    await s1.subscribeAsync('e1/keep/#', { qos: 1 });
    await s1.endAsync();
    const pub = await connect(url(), { protocolVersion: 4, clientId: 'p-keep' });
    for (let i = 0; i < 10; i++) await pub.publishAsync('e1/keep/x', String(i), { qos: 1 });
    await pub.publishAsync('e1/retained', 'r', { qos: 1, retain: true });
    assert.equal(await broker!.stop(), 0);
    broker = await startBroker(join(dir, 'store'));
    const got: string[] = [];
    const s2 = mqtt.connect(url(), { ...opts, reconnectPeriod: 0 });
    clients.push(s2);
    s2.on('message', (_t, p) => got.push(p.toString()));
    await until(() => got.length === 10, 10_000, 'catch-up after restart');
    assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => String(i)));
    const r = await connect(url(), { protocolVersion: 4, clientId: 'r-reader' });
    const retained: string[] = [];
    r.on('message', (_t, p, packet) => retained.push(`${p}:${packet.retain}`));
    await r.subscribeAsync('e1/retained', { qos: 1 });
    await until(() => retained.length === 1, 5000, 'retained after restart');
    assert.deepEqual(retained, ['r:true']);
  });
});
