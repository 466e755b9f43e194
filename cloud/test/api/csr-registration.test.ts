import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { webcrypto, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteControlStore } from '../../src/control/sqlite-control-store.js';
import type { ControlStore } from '../../src/control/control-store.js';
import { CsrSigner } from '../../src/identity/csr-signer.js';
import { x509 } from '../../src/identity/x509-lib.js';
import { startApi, type ApiFixture } from './fixtures/api-fixture.js';

async function csrFor(name: string): Promise<string> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  return (await x509.Pkcs10CertificateRequestGenerator.create({ name, keys: keys as never, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } })).toString('pem');
}

describe('api/csr-registration: POST /v1/register with a CSR (issue 20)', function () {
  this.timeout(60_000);
  let dir: string;
  let signer: CsrSigner;
  let api: ApiFixture;
  let control: ControlStore;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-csr-api-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30', '-subj', '/CN=causeway-test-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-keyout', 'ca.key', '-out', 'ca.pem'], { cwd: dir, stdio: 'ignore' });
    signer = await CsrSigner.load({ certFile: join(dir, 'ca.pem'), keyFile: join(dir, 'ca.key'), validityDays: 10 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await api.close();
    await control.close();
  });
  const start = async (withSigner: boolean): Promise<void> => {
    control = openSqliteControlStore(':memory:');
    api = await startApi({ claims: control.claims, registrations: control.registrations, fleet: control.fleet, kdfLogN: 10, ...(withSigner ? { csrSigner: signer } : {}) });
  };
  const claim = async (extra: Record<string, unknown> = {}): Promise<{ id: string; token: string }> => {
    const c = await api.call('POST', '/v1/claims', { maxUses: 2, groups: ['north'], ...extra });
    return { id: c.json.claim.id, token: c.json.token };
  };

  it('signs the gateway\'s own request: its certificate (CN = id) and the CA, no secret; the registry entry has none either', async () => {
    await start(true);
    const c = await claim();
    const r = await api.call('POST', '/v1/register', { claimToken: c.token, id: 'gw-cert-1', csr: await csrFor('CN=gw-cert-1') }, '');
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.equal(r.json.secret, undefined);
    const cert = new X509Certificate(r.json.certificate);
    assert.equal(cert.subject, 'CN=gw-cert-1');
    assert.ok(cert.verify(new X509Certificate(r.json.ca).publicKey));
    assert.equal(r.json.notAfter, Date.parse(cert.validTo));
    const entry = (await api.registry.get('gw-cert-1'))!;
    assert.deepEqual([entry.kind, entry.groups, entry.tags, entry.secretHash], ['gateway', ['north'], { claim: c.id }, undefined]);
    assert.equal(entry.certSha256, cert.fingerprint256.replace(/:/g, '').toLowerCase(), 'pinned to the certificate it was given');
    assert.equal((await control.claims.get(c.id))!.uses, 1);
    assert.equal((await api.call('POST', '/v1/register', { claimToken: c.token, id: 'gw-cert-1', csr: await csrFor('CN=gw-cert-1') }, '')).status, 409, 'never a second certificate for a registered id');
  });

  it('refuses hostile requests with their code, counts them, and takes no use of the claim', async () => {
    await start(true);
    const c = await claim();
    const cases: Array<[unknown, string]> = [
      [await csrFor('CN=gw-victim'), 'CSR_SUBJECT_MISMATCH'],
      ['garbage', 'CSR_MALFORMED'],
      [{ pem: 'x' }, 'CSR_MALFORMED'],
    ];
    for (const [csr, code] of cases) {
      const r = await api.call('POST', '/v1/register', { claimToken: c.token, id: 'gw-evil', csr }, '');
      assert.deepEqual([r.status, r.json.error.code], [400, code], JSON.stringify(r.json));
    }
    assert.equal(api.counters.csrRefused, 3);
    assert.equal((await control.claims.get(c.id))!.uses, 0);
    assert.equal(await api.registry.get('gw-evil'), undefined);
    assert.equal(await api.registry.get('gw-victim'), undefined);
  });

  it('without a CA a CSR is refused as a bad request saying why', async () => {
    await start(false);
    const c = await claim();
    const r = await api.call('POST', '/v1/register', { claimToken: c.token, id: 'gw-1', csr: await csrFor('CN=gw-1') }, '');
    assert.equal(r.status, 400);
    assert.match(r.json.error.message, /claims\.caCert/);
    assert.equal((await control.claims.get(c.id))!.uses, 0);
  });

  it('with a claim that needs approval: the CSR is checked when asked, waits, and is signed when the approved gateway asks again', async () => {
    await start(true);
    const a = await claim({ approval: true });
    const secret = 'the-gateways-own-secret-0123456789abcdef';
    const ask = async (csr: unknown) => api.call('POST', '/v1/register', { claimToken: a.token, id: 'gw-2', secret, csr }, '');
    const hostile = await ask(await csrFor('CN=gw-other'));
    assert.deepEqual([hostile.status, hostile.json.error.code], [400, 'CSR_SUBJECT_MISMATCH']);
    assert.equal((await control.claims.get(a.id))!.uses, 0, 'refused before a use is taken');
    assert.equal(api.counters.csrRefused, 1);
    const csr = await csrFor('CN=gw-2');
    assert.equal((await ask(csr)).status, 202);
    assert.equal((await ask(csr)).status, 202, 'still pending');
    const listed = (await api.call('GET', '/v1/registrations')).json.registrations;
    assert.deepEqual(listed.map((r: any) => [r.gateway, r.state, r.certificate, r.csr]), [['gw-2', 'pending', true, undefined]]);
    assert.equal((await api.call('POST', '/v1/registrations/gw-2/approve')).status, 200);
    const approved = (await api.registry.get('gw-2'))!;
    assert.equal(approved.secretHash, undefined, 'a certificate gateway has no secret in the registry');
    assert.match(approved.certSha256 ?? '', /^[^0-9a-f]/, 'until its certificate is signed no certificate matches');
    const done = await ask(csr);
    assert.equal(done.status, 201, JSON.stringify(done.json));
    assert.equal(done.json.state, 'approved');
    const cert = new X509Certificate(done.json.certificate);
    assert.equal(cert.subject, 'CN=gw-2');
    assert.equal((await api.registry.get('gw-2'))!.certSha256, cert.fingerprint256.replace(/:/g, '').toLowerCase(), 'then pinned to it');
    const other = await api.call('POST', '/v1/register', { claimToken: a.token, id: 'gw-2', secret: 'another-secret-0123456789abcdefghijklmn', csr }, '');
    assert.equal(other.status, 409, 'another gateway cannot fetch that certificate');
    // Revoked (issue 20): asking again with the approval secret does not bring a new certificate.
    const pinned = (await api.registry.get('gw-2'))!.certSha256;
    assert.equal((await api.call('POST', '/v1/devices/gw-2/revoke-cert')).status, 200);
    const again = await ask(csr);
    assert.deepEqual([again.status, again.json.error.code], [403, 'CLAIM_REJECTED']);
    assert.match(again.json.error.message, /revoked/);
    assert.equal((await api.registry.get('gw-2'))!.certSha256, pinned);
  });
});
