import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { apiCall, startBroker, type BrokerProcess, waitFor } from '../../../cloud/test/e2e/fixtures/broker-process.js';

/**
 * Issue 20, the life of a certificate a gateway got by claim with a CSR, with real processes (a cloud
 * with an mTLS listener and its CA, real agents): an operator revokes it, the gateway's live session is
 * closed and every reconnect with it is refused.
 */
describe('edge e2e 44-cert-revoke-renew: a CSR gateway\'s certificate revoked @e2e', function () {
  this.timeout(120_000);
  let dir: string;
  let cloud: BrokerProcess;
  let api: string;
  let token: string;
  const call = (method: string, path: string, body?: unknown): Promise<any> => apiCall(api, token, method, path, body);
  const ssl = (...args: string[]): string => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

  /** a real agent on first boot, imaged with a claim and identity.csr, reading JSON readings on stdin */
  const agent = (name: string, claimToken: string, extra: Record<string, unknown> = {}) => {
    const home = join(dir, name);
    mkdirSync(home);
    writeFileSync(join(home, 'serial'), `${name}\n`);
    const cfg = {
      identity: { claimToken, registerUrl: api, idFrom: join(home, 'serial'), csr: true },
      cloud: { url: `mqtts://127.0.0.1:${cloud.tlsPort}`, ca: join(dir, 'ca.pem'), backoffBaseMs: 100, backoffMaxMs: 500 },
      store: { path: join(home, 'outbox.db') },
      input: { stdin: true },
      ...extra,
    };
    writeFileSync(join(home, 'config.json'), JSON.stringify(cfg), { mode: 0o600 });
    const p = spawn(process.execPath, ['--import', 'tsx', 'edge/src/main.ts', '--config', join(home, 'config.json')], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
    return { p, home, output: () => out, exited };
  };

  /** CONNECT over mTLS with a key and certificate: the CONNACK's reason code (0 = accepted) */
  const connectWith = (home: string, clientId: string): Promise<number | undefined> =>
    new Promise((resolve) => {
      const c = mqtt.connect(`mqtts://127.0.0.1:${cloud.tlsPort}`, { clientId, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 10_000, cert: readFileSync(join(home, 'gateway-cert.pem')), key: readFileSync(join(home, 'gateway-key.pem')), ca: readFileSync(join(dir, 'ca.pem')) });
      c.once('connect', () => {
        c.end(true);
        resolve(0);
      });
      c.once('error', (e: Error & { code?: number }) => {
        c.end(true);
        resolve(e.code);
      });
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-e2e44-'));
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    ssl('req', '-x509', ...ec, '-days', '30', '-subj', '/CN=causeway-test-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', 'ca.key', '-out', 'ca.pem');
    ssl('req', '-x509', ...ec, '-days', '30', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-addext', 'basicConstraints=critical,CA:FALSE', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-keyout', 'server.key', '-out', 'server.pem');
    cloud = await startBroker(join(dir, 'cloud'), [
      '--auth.allowAnonymous', 'false',
      '--mqtt.tls.port', '0', '--mqtt.tls.cert', join(dir, 'server.pem'), '--mqtt.tls.key', join(dir, 'server.key'), '--mqtt.tls.ca', join(dir, 'ca.pem'),
      '--claims.caCert', join(dir, 'ca.pem'), '--claims.caKey', join(dir, 'ca.key'), '--claims.certValidityDays', '7',
    ]);
    assert.ok(cloud.tlsPort !== undefined, 'the TLS listener is up');
    api = `http://127.0.0.1:${cloud.apiPort}`;
    token = readFileSync(join(dir, 'cloud', 'operator-token'), 'utf8').trim();
  });
  after(async () => {
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('revoke-cert: the live session is closed, every reconnect with the certificate refused (NOT_AUTHORIZED), counted and logged', async () => {
    const claim = (await call('POST', '/v1/claims', { maxUses: 1 })) as { token: string };
    const { p, home, output, exited } = agent('gw-rev', claim.token);
    try {
      await waitFor('gw-rev online over mTLS', 60_000, async () => ((await call('GET', '/v1/devices/gw-rev').catch(() => undefined))?.online ? true : undefined), { detail: () => output().slice(-3000) });
      const pinned = (await call('GET', '/v1/devices/gw-rev')).certSha256 as string;
      // the CLI, as an operator types it
      const cli = execFileSync(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', '--url', api, 'devices', 'revoke-cert', 'gw-rev'], { env: { ...process.env, CAUSEWAY_TOKEN: token }, encoding: 'utf8' });
      assert.match(cli, new RegExp(`revoked the certificate of gw-rev \\(sha256 ${pinned}\\)`));
      await waitFor('gw-rev disconnected', 10_000, async () => ((await call('GET', '/v1/devices/gw-rev')).online ? undefined : true));
      await waitFor('the agent\'s reconnects refused', 20_000, () => (cloud.lines.some((l) => l.includes('connection refused') && l.includes('the certificate of gw-rev was revoked')) ? true : undefined), { detail: () => cloud.lines.slice(-10).join('\n') });
      assert.equal(await connectWith(home, 'gw-rev'), 0x87, 'NOT_AUTHORIZED with the gateway\'s own key and certificate');
      assert.equal((await call('GET', '/v1/devices/gw-rev')).online, false, 'it stays out');
      const stats = await call('GET', '/v1/stats');
      assert.equal(stats.api.certsRevoked, 1);
      assert.ok(stats.auth.certRevokedRefused >= 2, `refusals counted: ${stats.auth.certRevokedRefused}`);
      const logged = cloud.lines.find((l) => l.includes('"certificate revoked"'))!;
      assert.equal(JSON.parse(logged).certSha256, pinned);
      const key = readFileSync(join(home, 'gateway-key.pem'), 'utf8').split('\n').slice(1, -2).join('');
      assert.equal(cloud.lines.join('\n').includes(key.slice(0, 40)), false, 'no key in the cloud\'s log');
    } finally {
      p.kill('SIGTERM');
      await exited;
    }
  });
});
