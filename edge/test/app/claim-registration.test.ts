import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, silentLogger } from '@causeway/shared';
import { edgeSchema, type EdgeConfig } from '../../src/config/schema.js';
import { x509 } from '../../src/app/x509-lib.js';
import { applyStoredIdentity, claimId, pendingDelayMs, registerByClaim } from '../../src/app/claim-registration.js';

const X509Csr = x509.Pkcs10CertificateRequest;

describe('app/claim-registration: first boot by claim (issue 20)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'cw-claim-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const cfg = (extra: string[] = []): EdgeConfig =>
    loadConfig<EdgeConfig>(edgeSchema, { argv: ['--store.path', join(dir, 'outbox.db'), '--identity.claimToken', 'cw_claim_abcdefgh.sssssssssssssssssssssss', '--identity.registerUrl', 'http://cloud:8080/', ...extra], env: {} });
  const answer = (status: number, body: unknown) => async () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  it('reads the id from identity.idFrom (first line, NULs and spaces trimmed); gateway.id wins when set', () => {
    writeFileSync(join(dir, 'serial'), '  100000ab12cd\0\nsecond line\n');
    assert.equal(claimId(cfg(['--identity.idFrom', join(dir, 'serial')])), '100000ab12cd');
    assert.equal(claimId(cfg(['--identity.idFrom', join(dir, 'serial'), '--gateway.id', 'gw-9'])), 'gw-9');
    assert.throws(() => claimId(cfg()), /neither gateway.id nor identity.idFrom/);
    writeFileSync(join(dir, 'bad'), 'a/b\n');
    assert.throws(() => claimId(cfg(['--identity.idFrom', join(dir, 'bad')])), (e: any) => e.code === 'CONFIG_INVALID' && /does not hold a valid id/.test(e.message));
  });

  it('registers, stores id and secret 0600, and from then on runs with them without asking again', async () => {
    const calls: Array<{ url: string; body: string }> = [];
    const fetch = (async (url: string, init: RequestInit) => {
      calls.push({ url, body: String(init.body) });
      return answer(201, { id: 'gw-9', secret: 's3cret', groups: [] })();
    }) as unknown as typeof globalThis.fetch;
    const c = cfg(['--gateway.id', 'gw-9']);
    const got = await registerByClaim(c, silentLogger, { fetch });
    assert.deepEqual([got.gateway.id, got.cloud.username, got.cloud.password], ['gw-9', 'gw-9', 's3cret']);
    assert.equal(calls[0]!.url, 'http://cloud:8080/v1/register');
    const sent = JSON.parse(calls[0]!.body);
    assert.deepEqual([sent.claimToken, sent.id], ['cw_claim_abcdefgh.sssssssssssssssssssssss', 'gw-9']);
    assert.match(sent.secret, /^[\w-]{43}$/, 'its own secret, used only by a claim that needs approval');
    assert.equal(existsSync(join(dir, 'credentials.json.pending')), false, 'gone once registered');
    const file = join(dir, 'credentials.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).secret, 's3cret');
    const again = await registerByClaim(c, silentLogger, { fetch });
    assert.equal(calls.length, 1, 'a stored secret is used, the claim is not presented again');
    assert.equal(again.cloud.password, 's3cret');
    assert.equal(applyStoredIdentity(c).cloud.password, 's3cret');
  });

  it('identity.csr: makes its own key (0600, never sent), sends a CSR for its id, stores the certificate and runs with both, no secret', async function () {
    this.timeout(30_000);
    const sent: any[] = [];
    const fetch = (async (_url: string, init: RequestInit) => {
      const body = JSON.parse(String(init.body));
      sent.push(body);
      const csr = new X509Csr(body.csr);
      assert.ok(await csr.verify(), 'a request signed by the key it carries');
      return answer(201, { id: 'gw-9', groups: [], certificate: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', notAfter: 1_900_000_000_000 })();
    }) as unknown as typeof globalThis.fetch;
    const c = cfg(['--gateway.id', 'gw-9', '--identity.csr', 'true']);
    const got = await registerByClaim(c, silentLogger, { fetch });
    const keyFile = join(dir, 'gateway-key.pem');
    const certFile = join(dir, 'gateway-cert.pem');
    assert.deepEqual([got.gateway.id, got.cloud.username, got.cloud.password, got.cloud.cert, got.cloud.key], ['gw-9', 'gw-9', '', certFile, keyFile]);
    assert.match(sent[0].secret, /^[\w-]{43}$/, 'its own secret, which only a claim that needs approval uses');
    assert.equal(new X509Csr(sent[0].csr).subject, 'CN=gw-9');
    const key = readFileSync(keyFile, 'utf8');
    assert.match(key, /BEGIN PRIVATE KEY/);
    assert.equal(JSON.stringify(sent).includes(key.split('\n')[1]!), false, 'the private key never leaves the gateway');
    for (const f of [keyFile, certFile, join(dir, 'credentials.json')]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
    assert.equal(createPublicKey(key).export({ type: 'spki', format: 'pem' }), createPublicKey({ key: Buffer.from(new X509Csr(sent[0].csr).publicKey.rawData), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }));
    assert.equal(existsSync(join(dir, 'credentials.json.pending')), false, 'the pending secret is gone once registered');
    assert.equal(JSON.parse(readFileSync(join(dir, 'credentials.json'), 'utf8')).secret, undefined, 'no secret stored: the certificate is the credential');
    const again = await registerByClaim(c, silentLogger, { fetch });
    assert.equal(sent.length, 1, 'stored: the claim is not presented again');
    assert.deepEqual([again.cloud.cert, applyStoredIdentity(c).cloud.key], [certFile, keyFile]);
  });

  it('identity.csr: a restart before the certificate came asks again for the same key', async function () {
    this.timeout(30_000);
    const keys: string[] = [];
    const refuse = (async (_url: string, init: RequestInit) => {
      keys.push(Buffer.from(new X509Csr(JSON.parse(String(init.body)).csr).publicKey.rawData).toString('hex'));
      return answer(400, { error: { code: 'CSR_WEAK_KEY', message: 'no' } })();
    }) as unknown as typeof globalThis.fetch;
    const c = cfg(['--gateway.id', 'gw-9', '--identity.csr', 'true']);
    await assert.rejects(registerByClaim(c, silentLogger, { fetch: refuse }), (e: any) => e.code === 'CONFIG_INVALID' && /CSR_WEAK_KEY/.test(e.message));
    await assert.rejects(registerByClaim(c, silentLogger, { fetch: refuse }));
    assert.equal(keys.length, 2);
    assert.equal(keys[0], keys[1]);
  });

  it('a refusal the operator must fix is a config error naming the code; an unreachable cloud or a 503 is retried', async () => {
    await assert.rejects(registerByClaim(cfg(['--gateway.id', 'gw-9']), silentLogger, { fetch: answer(403, { error: { code: 'CLAIM_EXPIRED', message: 'claim x is expired' } }) as unknown as typeof fetch }), (e: any) => e.code === 'CONFIG_INVALID' && /refused \(CLAIM_EXPIRED\): claim x is expired/.test(e.message));
    let n = 0;
    const flaky = (async () => {
      n++;
      if (n === 1) throw new Error('ECONNREFUSED');
      if (n === 2) return answer(503, {})();
      return answer(201, { id: 'gw-9', secret: 'x', groups: [] })();
    }) as unknown as typeof fetch;
    const got = await registerByClaim(cfg(['--gateway.id', 'gw-9']), silentLogger, { fetch: flaky, random: () => 0 });
    assert.equal(n, 3);
    assert.equal(got.cloud.password, 'x');
  });

  it('without a claim token, or with a configured password, nothing is registered', async () => {
    const fetch = (async () => assert.fail('no request')) as unknown as typeof globalThis.fetch;
    const plain = loadConfig<EdgeConfig>(edgeSchema, { argv: ['--store.path', join(dir, 'o.db')], env: {} });
    assert.equal(await registerByClaim(plain, silentLogger, { fetch }), plain);
    const withPassword = cfg(['--gateway.id', 'gw-1', '--cloud.username', 'gw-1', '--cloud.password', 'p']);
    assert.equal((await registerByClaim(withPassword, silentLogger, { fetch })).cloud.password, 'p');
  });

  it('waits while pending (the cloud says how long, ±10 %), asks as the same gateway after a restart, and runs with its own secret once approved', async () => {
    assert.deepEqual([pendingDelayMs(30, 0), pendingDelayMs(30, 0.5), pendingDelayMs(30, 1), pendingDelayMs(0, 0.5), pendingDelayMs(99_999, 0.5), pendingDelayMs('x', 0.5)], [27_000, 30_000, 33_000, 1000, 3_600_000, 60_000]);
    const secrets: string[] = [];
    const waited: number[] = [];
    let n = 0;
    const approving = (after: number) =>
      (async (_url: string, init: RequestInit) => {
        secrets.push(JSON.parse(String(init.body)).secret);
        return ++n < after ? answer(202, { id: 'gw-9', state: 'pending', retryAfterSeconds: 0.001 })() : answer(201, { id: 'gw-9', state: 'approved', groups: [] })();
      }) as unknown as typeof fetch;
    const c = cfg(['--gateway.id', 'gw-9']);
    // a first boot that is stopped while pending: its secret is kept for the next one
    await assert.rejects(registerByClaim(c, silentLogger, { fetch: (async () => answer(202, { id: 'gw-9', state: 'pending', retryAfterSeconds: 1 })()) as unknown as typeof fetch, random: () => 0.5, signal: AbortSignal.abort(), onWaiting: (ms) => waited.push(ms) }), /aborted/);
    assert.equal(statSync(join(dir, 'credentials.json.pending')).mode & 0o777, 0o600);
    const got = await registerByClaim(c, silentLogger, { fetch: approving(3), random: () => 0.5, onWaiting: (ms) => waited.push(ms) });
    assert.equal(n, 3);
    assert.equal(new Set(secrets).size, 1, 'every request, across the restart, carries the same secret');
    assert.equal(got.cloud.password, secrets[0]);
    assert.deepEqual(waited, [1000, 1000, 1000], 'systemd is told before each wait');
    assert.equal(JSON.parse(readFileSync(join(dir, 'credentials.json'), 'utf8')).secret, secrets[0]);
    assert.equal(existsSync(join(dir, 'credentials.json.pending')), false);
  });

  it('rejected or revoked while pending: a config error (exit 78) with the operator\'s reason, asked no more', async () => {
    let n = 0;
    const rejecting = (async () => (++n === 1 ? answer(202, { id: 'gw-9', state: 'pending', retryAfterSeconds: 0.001 })() : answer(403, { error: { code: 'CLAIM_REJECTED', message: 'the registration of gw-9 was rejected by an operator: not ours' } })())) as unknown as typeof fetch;
    await assert.rejects(registerByClaim(cfg(['--gateway.id', 'gw-9']), silentLogger, { fetch: rejecting }), (e: any) => e.code === 'CONFIG_INVALID' && /refused \(CLAIM_REJECTED\).*not ours/.test(e.message));
    assert.equal(n, 2);
  });
});
