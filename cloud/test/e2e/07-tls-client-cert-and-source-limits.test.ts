import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTcp, type Socket } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { apiCall, startBroker, type BrokerProcess } from './fixtures/broker-process.js';

/** Devices that authenticate with a TLS client certificate (CN = device id), and per-source connection limits. */
describe('07 TLS client certificates and per-source limits @e2e', function () {
  this.timeout(60_000);
  let dir: string;
  let broker: BrokerProcess;
  const clients: MqttClient[] = [];
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore', cwd: dir });

  const connect = (url: string, opts: IClientOptions): Promise<{ client?: MqttClient; error?: Error & { code?: number } }> =>
    new Promise((resolve) => {
      const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
      clients.push(client);
      client.once('connect', () => resolve({ client }));
      client.once('error', (error) => resolve({ error }));
      client.once('close', () => resolve({ error: new Error('closed before CONNACK') }));
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-e2e-tls-'));
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=causeway-test-ca', '-keyout', 'ca.key', '-out', 'ca.pem');
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.pem');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=gw-cert', '-keyout', 'client.key', '-out', 'client.csr');
    ssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', 'client.pem');
    // the same CN, but not signed by the CA the broker trusts
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=gw-cert', '-keyout', 'rogue.key', '-out', 'rogue.pem');
    broker = await startBroker(join(dir, 'store'), [
      '--auth.allowAnonymous', 'false',
      '--mqtt.tls.port', '0', '--mqtt.tls.cert', join(dir, 'server.pem'), '--mqtt.tls.key', join(dir, 'server.key'), '--mqtt.tls.ca', join(dir, 'ca.pem'),
      '--limits.maxConnectionsPerSource', '3',
    ]);
    const token = readFileSync(join(dir, 'store', 'operator-token'), 'utf8').trim();
    await apiCall(`http://127.0.0.1:${broker.apiPort}`, token, 'POST', '/v1/devices', { id: 'gw-cert' });
  });
  after(async () => {
    for (const c of clients) c.end(true);
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const tls = (cert: string, key: string, clientId: string): Promise<{ client?: MqttClient; error?: Error & { code?: number } }> =>
    connect(`mqtts://127.0.0.1:${broker.tlsPort}`, { clientId, protocolVersion: 5, cert: readFileSync(join(dir, cert)), key: readFileSync(join(dir, key)), rejectUnauthorized: false });

  it('a certificate signed by the configured CA authenticates its CN, with no password', async () => {
    const ok = await tls('client.pem', 'client.key', 'gw-cert');
    assert.ok(ok.client, ok.error?.message);
    await ok.client.publishAsync('telemetry/gw-cert/d/t', 'x', { qos: 1 });
    ok.client.end(true);
  });

  it('refuses a self-signed certificate with the same CN, and a valid one used as another client id', async () => {
    const rogue = await tls('rogue.pem', 'rogue.key', 'gw-cert');
    assert.equal(rogue.error?.code, 0x87);
    const other = await tls('client.pem', 'client.key', 'gw-other');
    assert.equal(other.error?.code, 0x87);
  });

  it('limits connections per source address', async () => {
    for (const c of clients.splice(0)) c.end(true);
    await new Promise((r) => setTimeout(r, 300));
    // three raw TCP sockets from 127.0.0.1 that never send CONNECT use up the source's budget of 3
    const sockets = await Promise.all([0, 1, 2].map(() => new Promise<Socket>((res) => { const s = connectTcp(broker.port, '127.0.0.1', () => res(s)); })));
    const fourth = await connect(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'x', protocolVersion: 5 });
    assert.ok(fourth.error, 'the fourth connection from one source is refused');
    assert.notEqual(fourth.error.code, 0x87, 'refused for the source limit before any CONNACK, not for its (missing) credentials');
    for (const s of sockets) s.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const fifth = await connect(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'x', protocolVersion: 5 });
    assert.equal(fifth.error?.code, 0x87, 'once the sockets closed the source may connect again (and is asked for credentials)');
  });
  it('a node with control.enabled false serves devices and queues but not commands or config', async () => {
    const other = await startBroker(join(dir, 'store-2'), ['--control.enabled', 'false']);
    try {
      const token = readFileSync(join(dir, 'store-2', 'operator-token'), 'utf8').trim();
      const get = (path: string): Promise<number> => fetch(`http://127.0.0.1:${other.apiPort}${path}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
      assert.equal(await get('/v1/devices'), 200);
      assert.equal(await get('/v1/queues'), 200);
      assert.equal(await get('/v1/commands'), 404);
      assert.equal(await get('/v1/config/status'), 404);
    } finally {
      await other.stop();
    }
  });
});
