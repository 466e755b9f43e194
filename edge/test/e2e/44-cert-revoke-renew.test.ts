import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { apiCall, startBroker, type BrokerProcess, waitFor } from '../../../cloud/test/e2e/fixtures/broker-process.js';

/**
 * Issue 20, the life of a certificate a gateway got by claim with a CSR, with real processes (a cloud
 * with an mTLS listener and its CA, real agents): an operator revokes it, the gateway's live session is
 * closed and every reconnect with it is refused; a gateway whose certificate is short-lived renews it
 * over its mTLS link, again and again, and its readings keep arriving.
 */
describe('edge e2e 44-cert-revoke-renew: a CSR gateway\'s certificate revoked, and renewed @e2e', function () {
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
  const connectWith = (home: string, clientId: string, suffix = ''): Promise<number | undefined> =>
    new Promise((resolve) => {
      const c = mqtt.connect(`mqtts://127.0.0.1:${cloud.tlsPort}`, { clientId, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 10_000, cert: readFileSync(join(home, `gateway-cert.pem${suffix}`)), key: readFileSync(join(home, `gateway-key.pem${suffix}`)), ca: readFileSync(join(dir, 'ca.pem')) });
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
      // 60 s certificates, valid from 6 s before signing (a tenth): 91 % of their validity left when signed
      '--claims.caCert', join(dir, 'ca.pem'), '--claims.caKey', join(dir, 'ca.key'), '--claims.certValiditySeconds', '60',
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

  it('renewal: a short-lived certificate is renewed over the mTLS link without a claim, pinned at its first use, and readings keep arriving', async () => {
    const claim = (await call('POST', '/v1/claims', { maxUses: 1 })) as { token: string };
    // renew when under 85 % of the 66 s validity is left: ~4 s after each certificate is signed
    const { p, home, output, exited } = agent('gw-ren', claim.token, { identity: { claimToken: claim.token, registerUrl: api, idFrom: join(dir, 'gw-ren', 'serial'), csr: true, renewRemaining: 0.85, renewCheckSeconds: 1 } });
    let sent = 0;
    const reading = (): void => void p.stdin!.write(JSON.stringify({ device: 'd1', stream: 't', ts: Date.now(), value: ++sent }) + '\n');
    const got = new Set<number>();
    const arrived = async (n: number): Promise<void> => {
      await waitFor(`reading ${n} in the telemetry queue`, 30_000, async () => {
        const r = await call('POST', '/v1/queues/telemetry/groups/e2e44/pull', { member: 'm', max: 100, waitMs: 300 });
        for (const m of r.messages) if (m.topic === 'telemetry/gw-ren/d1/t') for (const x of m.envelope.readings) got.add(x.value);
        if (r.messages.length > 0) await call('POST', '/v1/queues/telemetry/groups/e2e44/ack', { member: 'm', offsets: r.messages.map((m: { offset: number }) => m.offset) });
        return got.has(n) ? true : undefined;
      });
    };
    try {
      await waitFor('gw-ren online over mTLS', 60_000, async () => ((await call('GET', '/v1/devices/gw-ren').catch(() => undefined))?.online ? true : undefined), { detail: () => output().slice(-3000) });
      const first = (await call('GET', '/v1/devices/gw-ren')).certSha256 as string;
      copyFileSync(join(home, 'gateway-cert.pem'), join(home, 'gateway-cert.pem.first'));
      copyFileSync(join(home, 'gateway-key.pem'), join(home, 'gateway-key.pem.first'));
      reading();
      await arrived(1);
      const pins = [first];
      for (let round = 1; round <= 2; round++) {
        const pin = await waitFor(`renewal ${round} pinned`, 40_000, async () => {
          const e = await call('GET', '/v1/devices/gw-ren');
          return e.certSha256 !== pins[pins.length - 1] && e.online && e.certSha256Next === e.certSha256 ? (e.certSha256 as string) : undefined;
        }, { detail: () => output().slice(-3000) + cloud.lines.slice(-15).join('\n') });
        pins.push(pin);
        reading();
        await arrived(sent);
      }
      assert.equal(new Set(pins).size, 3);
      assert.equal(await connectWith(home, 'gw-ren', '.first'), 0x86, 'the first certificate is refused once a renewed one was used');
      await waitFor('gw-ren back online', 20_000, async () => ((await call('GET', '/v1/devices/gw-ren')).online ? true : undefined));
      reading();
      await arrived(sent);
      assert.deepEqual([...got].sort((a, b) => a - b), Array.from({ length: sent }, (_, i) => i + 1), 'every reading arrived');
      assert.equal(statSync(join(home, 'gateway-key.pem')).mode & 0o777, 0o600);
      assert.match(output(), /"certificate renewed"/);
      const creds = JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8'));
      // (not compared with the registry's: another renewal may be signed and not yet stored at this instant)
      assert.ok(typeof creds.renewedAt === 'number' && creds.notAfter > creds.renewedAt, 'the credentials file says when the renewed certificate ends');
      assert.equal(statSync(join(home, 'credentials.json')).mode & 0o777, 0o600);
      const stats = await call('GET', '/v1/stats');
      assert.ok(stats.auth.renewals.renewed >= 2 && stats.auth.certRenewedInUse >= 2, JSON.stringify(stats.auth));
      const key = readFileSync(join(home, 'gateway-key.pem'), 'utf8').split('\n').slice(1, -2).join('');
      assert.equal(cloud.lines.join('\n').includes(key.slice(0, 40)), false, 'the new key never left the gateway');
    } finally {
      p.kill('SIGTERM');
      await exited;
    }
  });
});
