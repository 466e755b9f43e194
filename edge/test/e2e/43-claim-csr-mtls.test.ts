import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { apiCall, startBroker, type BrokerProcess, waitFor } from '../../../cloud/test/e2e/fixtures/broker-process.js';

/**
 * Issue 20, provisioning by claim with a CSR, with real processes: a cloud with a TLS listener that
 * trusts its CA for client certificates (mqtt.tls.ca) and signs CSRs with the same CA (claims.caCert);
 * a real agent imaged with a claim and identity.csr makes its own key, registers with a CSR, stores the
 * certificate and connects over mTLS with no password; a reading it is given arrives in the cloud's
 * telemetry queue. Hostile requests (another gateway's subject, garbage) are refused with their code
 * and counted, and take no use of the claim.
 */
describe('edge e2e 43-claim-csr-mtls: a gateway registers with a CSR and connects with its certificate @e2e', function () {
  this.timeout(180_000);
  let dir: string;
  let cloud: BrokerProcess;
  let api: string;
  let token: string;
  const call = (method: string, path: string, body?: unknown): Promise<any> => apiCall(api, token, method, path, body);
  const ssl = (...args: string[]): string => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const post = async (body: unknown): Promise<{ status: number; json: any }> => {
    const r = await fetch(`${api}/v1/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: r.status, json: await r.json() };
  };

  /** a real agent on first boot, imaged with a claim and identity.csr, reading JSON readings on stdin */
  const agent = (name: string, claimToken: string, extra: Record<string, unknown> = {}) => {
    const home = join(dir, name);
    mkdirSync(home);
    writeFileSync(join(home, 'serial'), `${name}\n`);
    const cfg = {
      identity: { claimToken, registerUrl: api, idFrom: join(home, 'serial'), csr: true },
      cloud: { url: `mqtts://127.0.0.1:${cloud.tlsPort}`, ca: join(dir, 'ca.pem'), backoffBaseMs: 100, backoffMaxMs: 1000 },
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

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-e2e43-'));
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    ssl('req', '-x509', ...ec, '-days', '30', '-subj', '/CN=causeway-test-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', 'ca.key', '-out', 'ca.pem');
    // the broker's own certificate, from the same CA, for the address the agent dials
    ssl('req', '-x509', ...ec, '-days', '30', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-addext', 'basicConstraints=critical,CA:FALSE', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-keyout', 'server.key', '-out', 'server.pem');
    cloud = await startBroker(join(dir, 'cloud'), [
      '--auth.allowAnonymous', 'false',
      '--mqtt.tls.port', '0', '--mqtt.tls.cert', join(dir, 'server.pem'), '--mqtt.tls.key', join(dir, 'server.key'), '--mqtt.tls.ca', join(dir, 'ca.pem'),
      '--claims.caCert', join(dir, 'ca.pem'), '--claims.caKey', join(dir, 'ca.key'), '--claims.certValidityDays', '7',
      '--health.port', '0', '--claims.pendingRetrySeconds', '1',
    ]);
    assert.ok(cloud.tlsPort !== undefined, 'the TLS listener is up');
    api = `http://127.0.0.1:${cloud.apiPort}`;
    token = readFileSync(join(dir, 'cloud', 'operator-token'), 'utf8').trim();
  });
  after(async () => {
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('claim → CSR → certificate → mTLS connection → telemetry arrives; the key never leaves the gateway', async () => {
    const claim = (await call('POST', '/v1/claims', { maxUses: 1, groups: ['csr'] })) as { token: string; claim: { id: string } };
    const { p, home, output, exited } = agent('gw-csr-1', claim.token);
    try {
      await waitFor('gw-csr-1 online over mTLS', 90_000, async () => ((await call('GET', '/v1/devices/gw-csr-1').catch(() => undefined))?.online ? true : undefined), { detail: () => output().slice(-3000) + cloud.lines.slice(-20).join('\n') });
      const keyPem = readFileSync(join(home, 'gateway-key.pem'), 'utf8');
      const cert = new X509Certificate(readFileSync(join(home, 'gateway-cert.pem')));
      assert.equal(cert.subject, 'CN=gw-csr-1');
      assert.ok(cert.checkIssued(new X509Certificate(readFileSync(join(dir, 'ca.pem')))));
      assert.ok(Date.parse(cert.validTo) <= Date.now() + 7 * 86_400_000, 'claims.certValidityDays bounds it');
      for (const f of ['gateway-key.pem', 'gateway-cert.pem', 'credentials.json']) assert.equal(statSync(join(home, f)).mode & 0o777, 0o600, f);
      const stored = JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8'));
      assert.equal(stored.secret, undefined, 'no secret: the certificate is the credential');
      const keyBody = keyPem.split('\n').slice(1, -2).join('');
      assert.equal(cloud.lines.join('\n').includes(keyBody.slice(0, 40)), false, 'the cloud never saw the key');
      assert.equal(output().includes(keyBody.slice(0, 40)), false, 'nor did the agent log it');
      const device = await call('GET', '/v1/devices/gw-csr-1');
      assert.deepEqual(device.groups, ['csr']);
      // Another certificate the same CA signed for the same CN (made before the id was deleted and
      // registered again, say) is refused: the registry pins the one the gateway was given.
      ssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=gw-csr-1', '-keyout', 'old.key', '-out', 'old.csr');
      ssl('x509', '-req', '-in', 'old.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', 'old.pem');
      const refused = await new Promise<Error & { code?: number }>((resolve) => {
        const c = mqtt.connect(`mqtts://127.0.0.1:${cloud.tlsPort}`, { clientId: 'gw-csr-1', protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 10_000, cert: readFileSync(join(dir, 'old.pem')), key: readFileSync(join(dir, 'old.key')), ca: readFileSync(join(dir, 'ca.pem')) });
        c.once('connect', () => {
          c.end(true);
          resolve(Object.assign(new Error('connected'), { code: 0 }));
        });
        c.once('error', (e) => {
          c.end(true);
          resolve(e);
        });
      });
      assert.equal(refused.code, 0x86, `another certificate for gw-csr-1: ${refused.message}`);
      assert.equal((await call('GET', '/v1/devices/gw-csr-1')).online, true, 'the gateway itself stays connected');

      p.stdin!.write(JSON.stringify({ device: 'd1', stream: 't', ts: Date.now(), value: 21.5 }) + '\n');
      const msg = await waitFor('the reading in the telemetry queue', 60_000, async () => {
        const r = await call('POST', '/v1/queues/telemetry/groups/e2e43/pull', { member: 'm', max: 50, waitMs: 500 });
        return r.messages.find((m: { topic: string }) => m.topic === 'telemetry/gw-csr-1/d1/t');
      });
      assert.equal(msg.envelope.readings[0].value, 21.5);
    } finally {
      p.kill('SIGTERM');
      await exited;
    }
  });

  it('refuses a CSR naming another gateway and garbage with their codes, counts them, and keeps the claim unused', async () => {
    const claim = (await call('POST', '/v1/claims', { maxUses: 1 })) as { token: string; claim: { id: string } };
    ssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=gw-csr-1', '-keyout', 'evil.key', '-out', 'evil.csr');
    const before = (await call('GET', '/v1/stats')).api.csrRefused as number;
    const other = await post({ claimToken: claim.token, id: 'gw-evil', csr: readFileSync(join(dir, 'evil.csr'), 'utf8') });
    assert.deepEqual([other.status, other.json.error.code], [400, 'CSR_SUBJECT_MISMATCH']);
    const junk = await post({ claimToken: claim.token, id: 'gw-evil', csr: '-----BEGIN CERTIFICATE REQUEST-----\nnot base64 at all\n-----END CERTIFICATE REQUEST-----\n' });
    assert.deepEqual([junk.status, junk.json.error.code], [400, 'CSR_MALFORMED']);
    assert.equal((await call('GET', '/v1/stats')).api.csrRefused, before + 2);
    const { healthPort } = JSON.parse(cloud.lines.find((l) => l.includes('"msg":"listening"'))!) as { healthPort: number };
    const metrics = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
    assert.match(metrics, new RegExp(`causeway_api_events\\{counter="csrRefused"\\} ${before + 2}\\n`));
    const c = (await call('GET', '/v1/claims')).claims.find((x: { id: string }) => x.id === claim.claim.id);
    assert.equal(c.uses, 0, 'refused requests take no use');
    assert.ok(cloud.lines.some((l) => l.includes('registration CSR refused') && l.includes('CSR_SUBJECT_MISMATCH')), 'logged with the code');
  });

  it('files.transport http with identity.csr: exit 78 naming both keys, before the claim is used (HTTP downloads need a secret)', async () => {
    const claim = (await call('POST', '/v1/claims', { maxUses: 1 })) as { token: string; claim: { id: string } };
    const { p, home, output, exited } = agent('gw-csr-http', claim.token, { files: { transport: 'http', httpUrl: api } });
    try {
      assert.equal(await exited, 78, output());
      assert.match(output(), /files\.transport is http but identity\.csr is true/);
      assert.match(output(), /files\.transport mqtt/, 'says what to do instead');
      const c = ((await call('GET', '/v1/claims')).claims as Array<{ id: string; uses: number }>).find((x) => x.id === claim.claim.id);
      assert.equal(c?.uses, 0, 'the claim was not used');
      assert.equal((await fetch(`${api}/v1/devices/gw-csr-http`, { headers: { authorization: `Bearer ${token}` } })).status, 404, 'not registered');
      assert.throws(() => statSync(join(home, 'gateway-key.pem')), 'no key made');
    } finally {
      p.kill('SIGKILL');
    }
  });

  it('with a claim that needs approval: the agent waits, an operator approves, it gets its certificate and connects over mTLS', async () => {
    const claim = (await call('POST', '/v1/claims', { maxUses: 1, approval: true })) as { token: string; claim: { id: string } };
    const { p, home, output, exited } = agent('gw-csr-appr', claim.token);
    try {
      const pending = await waitFor('the request waiting for approval', 60_000, async () => (await call('GET', '/v1/registrations?state=pending')).registrations.find((r: { gateway: string }) => r.gateway === 'gw-csr-appr'), { detail: () => output().slice(-2000) });
      assert.equal(pending.certificate, true, 'the operator sees it asks for a certificate');
      await call('POST', '/v1/registrations/gw-csr-appr/approve');
      await waitFor('gw-csr-appr online over mTLS', 90_000, async () => ((await call('GET', '/v1/devices/gw-csr-appr').catch(() => undefined))?.online ? true : undefined), { detail: () => output().slice(-3000) });
      assert.equal(new X509Certificate(readFileSync(join(home, 'gateway-cert.pem'))).subject, 'CN=gw-csr-appr');
      assert.equal(JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8')).secret, undefined);
      assert.match(output(), /registered by claim with a certificate/);
    } finally {
      p.kill('SIGTERM');
      await exited;
    }
  });
});
