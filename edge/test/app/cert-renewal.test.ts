import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCertRenewalRequest, encodeCertRenewalAnswer, silentLogger } from '@causeway/shared';
import { CertRenewal, renewalDue, type RenewalLink } from '../../src/app/cert-renewal.js';

describe('edge/app/cert-renewal: a CSR gateway renews its certificate before it ends (issue 20)', function () {
  this.timeout(30_000);
  let dir: string;
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore', cwd: dir });
  /** the cloud CA signing a CSR, for `days` */
  const sign = (csr: string, days: number): string => {
    writeFileSync(join(dir, 'r.csr'), csr);
    ssl('x509', '-req', '-in', 'r.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', String(days), '-out', 'r.pem');
    return readFileSync(join(dir, 'r.pem'), 'utf8');
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cw-renewal-'));
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30', '-subj', '/CN=ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-keyout', 'ca.key', '-out', 'ca.pem');
    // the gateway's current pair: a 1-day certificate, so any threshold makes it due or not by the clock we give
    ssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=gw1', '-keyout', 'gateway-key.pem', '-out', 'cur.csr');
    ssl('x509', '-req', '-in', 'cur.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', 'gateway-cert.pem');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('renewalDue: less than the fraction left of the validity', () => {
    const TABLE: Array<[number, number, number, number, boolean]> = [
      [0, 300, 100, 0.33, false], // two thirds left
      [0, 300, 202, 0.33, true], // under a third
      [0, 300, 299, 0, false], // 0: never
      [0, 300, 400, 0.33, true], // past the end
      [300, 300, 300, 0.33, false], // no validity span
    ];
    for (const [from, to, now, f, due] of TABLE) assert.equal(renewalDue(from, to, now, f), due, JSON.stringify([from, to, now, f]));
  });

  it('asks when due, installs the answer for its new key, and reconnects; an answer to another request is ignored', async () => {
    const link = Object.assign(new EventEmitter(), { sent: [] as Array<{ topic: string; payload: Buffer }>, request(topic: string, payload: Buffer) { this.sent.push({ topic, payload }); return true; } });
    const renewed: number[] = [];
    const keyFile = join(dir, 'gateway-key.pem');
    const certFile = join(dir, 'gateway-cert.pem');
    const oldKey = readFileSync(keyFile, 'utf8');
    let now = Date.now();
    const r = new CertRenewal({ link: link as unknown as RenewalLink, gateway: 'gw1', certFile, keyFile, renewRemaining: 0.33, checkMs: 60_000, logger: silentLogger, onRenewed: (n) => renewed.push(n), now: () => now });
    r.start();
    try {
      await r.check();
      assert.equal(link.sent.length, 0, 'a fresh certificate is not renewed');
      now += 20 * 3600_000; // 4 of 24 hours left
      link.emit('connect');
      await new Promise((res) => setTimeout(res, 200));
      assert.equal(link.sent.length, 1);
      assert.equal(link.sent[0]!.topic, 'cert-req/gw1');
      const req = decodeCertRenewalRequest(link.sent[0]!.payload);
      await r.check();
      assert.equal(link.sent.length, 1, 'one request awaited at a time');
      const certificate = sign(req.csr, 30);
      link.emit('cert', 'cert/gw1', encodeCertRenewalAnswer({ nonce: 'other', certificate, notAfter: 1 }));
      assert.equal(readFileSync(keyFile, 'utf8'), oldKey, 'another request\'s answer changes nothing');
      link.emit('cert', 'cert/gw1', encodeCertRenewalAnswer({ nonce: req.nonce, certificate, notAfter: 42 }));
      assert.deepEqual(renewed, [42]);
      const key = readFileSync(keyFile, 'utf8');
      assert.notEqual(key, oldKey);
      assert.equal(readFileSync(certFile, 'utf8'), certificate);
      assert.ok(new X509Certificate(certificate).publicKey.export({ type: 'spki', format: 'der' }).equals(createPublicKey(createPrivateKey(key)).export({ type: 'spki', format: 'der' })), 'the stored key is the certificate\'s');
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      assert.deepEqual(r.counters, { requests: 1, renewed: 1, refused: 0 });
      assert.ok(!req.csr.includes('PRIVATE'), 'only the request is sent');
      await r.check();
      assert.equal(link.sent.length, 1, 'the new certificate is fresh');
    } finally {
      r.stop();
    }
  });

  it('a refusal is logged and counted, the pair kept, and the next check asks again', async () => {
    const link = Object.assign(new EventEmitter(), { sent: [] as Buffer[], request(_t: string, p: Buffer) { this.sent.push(p); return true; } });
    const keyFile = join(dir, 'gateway-key.pem');
    const before = readFileSync(keyFile, 'utf8');
    let now = Date.now() + 29 * 86_400_000; // near the end of the 30-day certificate installed above
    const r = new CertRenewal({ link: link as unknown as RenewalLink, gateway: 'gw1', certFile: join(dir, 'gateway-cert.pem'), keyFile, renewRemaining: 0.33, checkMs: 1000, logger: silentLogger, onRenewed: () => assert.fail('not renewed'), now: () => now });
    r.start();
    await r.check();
    link.emit('cert', 'cert/gw1', encodeCertRenewalAnswer({ nonce: decodeCertRenewalRequest(link.sent[0]!).nonce, error: { code: 'CERT_RENEWAL_REFUSED', message: 'revoked' } }));
    assert.equal(r.counters.refused, 1);
    assert.equal(readFileSync(keyFile, 'utf8'), before);
    now += 10;
    await r.check();
    assert.equal(link.sent.length, 2);
    r.stop();
    assert.throws(() => new CertRenewal({ link: link as unknown as RenewalLink, gateway: 'gw1', certFile: '', keyFile: '', renewRemaining: 1, checkMs: 1, logger: silentLogger, onRenewed: () => undefined }), /identity\.renewRemaining/);
  });
});
