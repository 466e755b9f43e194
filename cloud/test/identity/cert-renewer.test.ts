import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, webcrypto, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCertRenewalAnswer, encodeCertRenewalRequest, silentLogger } from '@causeway/shared';
import { CertRenewer } from '../../src/identity/cert-renewer.js';
import { CsrSigner } from '../../src/identity/csr-signer.js';
import { MemoryRegistry } from '../../src/identity/registry/memory-registry.js';
import type { ServerQueues } from '../../src/queues/contract.js';
import { x509 } from '../../src/identity/x509-lib.js';

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;

async function keyAndCsr(cn: string): Promise<{ csr: string; spki: Buffer }> {
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const csr = (await x509.Pkcs10CertificateRequestGenerator.create({ name: [{ CN: [cn] }], keys: keys as never, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } })).toString('pem');
  return { csr, spki: Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey)) };
}

describe('identity/cert-renewer: a CSR gateway renews its certificate over MQTT (issue 20)', function () {
  this.timeout(30_000);
  let dir: string;
  let signer: CsrSigner;
  let registry: MemoryRegistry;
  let answers: Array<{ topic: string; payload: Buffer }>;
  let renewer: CertRenewer;
  const pinned = 'aa'.repeat(32);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-renew-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30', '-subj', '/CN=causeway-test-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-keyout', 'ca.key', '-out', 'ca.pem'], { stdio: 'ignore', cwd: dir });
    signer = await CsrSigner.load({ certFile: join(dir, 'ca.pem'), keyFile: join(dir, 'ca.key'), validityDays: 7, validitySeconds: 120 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    registry = new MemoryRegistry();
    await registry.create({ id: 'gw1', kind: 'gateway', groups: [], tags: {}, certSha256: pinned, enabled: true, createdAt: 0, online: true });
    answers = [];
    renewer = new CertRenewer({} as ServerQueues, registry, signer, async (topic, payload) => void answers.push({ topic, payload }), silentLogger);
  });

  it('signs a new certificate for the new key, keeps the pinned one and records the new one as next', async () => {
    const { csr, spki } = await keyAndCsr('gw1');
    await renewer.handle('cert-req/gw1', encodeCertRenewalRequest({ csr, nonce: 'n1' }), 'gw1');
    assert.equal(answers.length, 1);
    assert.equal(answers[0]!.topic, 'cert/gw1');
    const a = decodeCertRenewalAnswer(answers[0]!.payload);
    assert.equal(a.nonce, 'n1');
    const cert = new X509Certificate(a.certificate!);
    assert.equal(cert.subject, 'CN=gw1');
    assert.ok(cert.publicKey.export({ type: 'spki', format: 'der' }).equals(spki), 'for the key the gateway made');
    assert.ok(Math.abs(Date.parse(cert.validTo) - Date.now() - 120_000) < 5_000, 'claims.certValiditySeconds');
    const e = (await registry.get('gw1'))!;
    assert.equal(e.certSha256, pinned, 'the old certificate stays valid until the new one is used');
    assert.equal(e.certSha256Next, createHash('sha256').update(cert.raw).digest('hex'));
    assert.equal(e.certNotAfter, a.notAfter);
    assert.deepEqual(renewer.counters, { requests: 1, renewed: 1, refused: 0, malformed: 0 });
  });

  const REFUSED: Array<[string, () => Promise<unknown>, string, string]> = [
    ['another gateway\'s subject', async () => undefined, 'gw2', 'CSR_SUBJECT_MISMATCH'],
    ['a revoked certificate', () => registry.update('gw1', { certRevokedAt: 5 }), 'gw1', 'CERT_RENEWAL_REFUSED'],
    ['a disabled gateway', () => registry.update('gw1', { enabled: false }), 'gw1', 'CERT_RENEWAL_REFUSED'],
    ['a gateway not registered with a CSR (not pinned)', async () => registry.create({ id: 'gw3', kind: 'gateway', groups: [], tags: {}, secretHash: 'x', enabled: true, createdAt: 0, online: false }), 'gw3', 'CERT_RENEWAL_REFUSED'],
  ];
  for (const [what, setup, cn, code] of REFUSED) {
    it(`refuses ${what} with ${code}, answering the nonce and changing nothing`, async () => {
      await setup();
      const gateway = cn === 'gw2' ? 'gw1' : cn;
      const before = await registry.get(gateway);
      await renewer.handle(`cert-req/${gateway}`, encodeCertRenewalRequest({ csr: (await keyAndCsr(cn)).csr, nonce: 'n2' }), gateway);
      const a = decodeCertRenewalAnswer(answers[0]!.payload);
      assert.deepEqual([a.nonce, a.error?.code, a.certificate], ['n2', code, undefined]);
      assert.deepEqual(await registry.get(gateway), before);
      assert.equal(renewer.counters.refused, 1);
    });
  }

  it('drops a malformed request, or one not published by the gateway itself, without an answer, and counts it', async () => {
    await renewer.handle('cert-req/gw1', Buffer.from('not json'), 'gw1');
    await renewer.handle('cert-req/gw1', Buffer.from(JSON.stringify({ csr: 'x'.repeat(20_000), nonce: 'n' })), 'gw1');
    await renewer.handle('telemetry/gw1/d/s', Buffer.from('{}'), 'gw1');
    // a valid request for gw1 published by someone else (an app, the operator's raw publish)
    await renewer.handle('cert-req/gw1', encodeCertRenewalRequest({ csr: (await keyAndCsr('gw1')).csr, nonce: 'n3' }), 'analytics');
    await renewer.handle('cert-req/gw1', encodeCertRenewalRequest({ csr: (await keyAndCsr('gw1')).csr, nonce: 'n4' }), undefined);
    assert.deepEqual(answers, []);
    assert.equal(renewer.counters.malformed, 5);
    assert.equal((await registry.get('gw1'))!.certSha256Next, undefined);
  });
});
