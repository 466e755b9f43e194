import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import aedesFactory from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { decodeEnvelope, type ReadingBatch } from '@causeway/shared';
import { SqliteOutbox } from '../../src/store/sqlite-outbox.js';
import { MqttUplink, type UplinkOptions } from '../../src/uplink/mqtt-uplink.js';
import { freePort, startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';

const T0 = 1_700_000_000_000;

/** A CA and a server certificate for 127.0.0.1, made with the openssl CLI. */
function makePki(dir: string): { ca: string; otherCa: string; cert: string; key: string } {
  const run = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=causeway-test-ca']);
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'other.crt', '-days', '1', '-subj', '/CN=other-ca']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'san.ext']);
  // mosquitto started as root drops to its own user, which must be able to read these
  chmodSync(dir, 0o755);
  for (const f of ['ca.crt', 'other.crt', 'server.crt', 'server.key']) chmodSync(join(dir, f), 0o644);
  return { ca: join(dir, 'ca.crt'), otherCa: join(dir, 'other.crt'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
}

describe('uplink/mqtt-uplink transports: mqtts:// with a CA file, ws://', function () {
  this.timeout(30_000);
  let dir: string;
  const cleanups: Array<() => Promise<void> | void> = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'uplink-tls-'));
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function sendOne(url: string, gw: string, over: Partial<UplinkOptions> = {}): Promise<{ u: MqttUplink; o: SqliteOutbox }> {
    const o = SqliteOutbox.open({ path: join(dir, `${gw}.db`), gateway: gw, maxBytes: 1 << 20, maxAgeMs: 60_000 });
    cleanups.push(() => o.close());
    await o.addReading({ device: 'd', stream: 's', ts: T0, value: 1 });
    const u = new MqttUplink({
      outbox: o, gateway: gw, url, keepaliveSeconds: 5, connectTimeoutMs: 2000, inflight: 2,
      form: { maxRecords: 10, maxBytes: 1 << 16, liveWindowMs: 1000 }, encode: { codec: 'cbor', deflate: true },
      maxBytesPerSecond: 0, agentVersion: 'test', backoff: { baseMs: 100, capMs: 300, minMs: 50 }, ...over,
    });
    cleanups.push(() => u.stop());
    u.start();
    return { u, o };
  }

  describe('mqtts against mosquitto with TLS', () => {
    let broker: Mosquitto;
    let pki: ReturnType<typeof makePki>;
    before(async () => {
      pki = makePki(dir);
      broker = await startMosquitto({ scheme: 'mqtts', listenerLines: [`certfile ${pki.cert}`, `keyfile ${pki.key}`] });
    });
    after(async () => broker?.stop());

    it('verifies the broker with cloud.ca and delivers', async () => {
      const { o } = await sendOne(broker.url, 'gw-tls', { caFile: pki.ca });
      const deadline = Date.now() + 10_000;
      while (o.stats().records > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(o.stats().records, 0, 'PUBACKed over TLS');
    });

    it('refuses a broker whose certificate another CA signed', async () => {
      const { u, o } = await sendOne(broker.url, 'gw-tls-bad', { caFile: pki.otherCa });
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(u.stats.connects, 0);
      assert.equal(o.stats().records, 1, 'nothing left the outbox');
    });
  });

  it('ws:// against a websocket MQTT broker (aedes)', async () => {
    const aedes = aedesFactory.createBroker();
    const http: Server = createServer();
    const wss = new WebSocketServer({ server: http });
    wss.on('connection', (ws) => aedes.handle(createWebSocketStream(ws) as never));
    const port = await freePort();
    await new Promise<void>((r) => http.listen(port, '127.0.0.1', () => r()));
    cleanups.push(async () => {
      wss.close();
      await new Promise((r) => http.close(r));
      await new Promise<void>((r) => aedes.close(() => r()));
    });
    const got = new Promise<ReadingBatch>((resolve) => {
      aedes.on('publish', (packet: { topic: string; payload: Buffer | string }) => {
        if (packet.topic.startsWith('telemetry/')) resolve(decodeEnvelope(packet.payload as Buffer) as ReadingBatch);
      });
    });
    await sendOne(`ws://127.0.0.1:${port}`, 'gw-ws');
    const b = await got;
    assert.equal(b.gateway, 'gw-ws');
    assert.equal(b.readings[0]!.ts, T0);
  });
});
