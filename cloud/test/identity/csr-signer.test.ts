import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { webcrypto, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@causeway/shared';
import { CsrSigner } from '../../src/identity/csr-signer.js';
import { x509 } from '../../src/identity/x509-lib.js';

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;

async function csrFor(name: string, keyAlg: webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams = EC): Promise<string> {
  const keys = await webcrypto.subtle.generateKey(keyAlg, true, ['sign', 'verify']);
  const signingAlgorithm = keyAlg.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' };
  return (await x509.Pkcs10CertificateRequestGenerator.create({ name, keys: keys as never, signingAlgorithm })).toString('pem');
}

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return 'no error';
}

describe('identity/csr-signer: the cloud CA for gateways registering with a CSR (issue 20)', function () {
  this.timeout(60_000);
  let dir: string;
  let signer: CsrSigner;
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore', cwd: dir });
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-csr-'));
    // The CA as an operator makes it with openssl: an EC key, a self-signed CA:TRUE certificate for 30 days.
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30', '-subj', '/CN=causeway-test-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-keyout', 'ca.key', '-out', 'ca.pem');
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30', '-subj', '/CN=other-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-keyout', 'other.key', '-out', 'other.pem');
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30', '-subj', '/CN=leaf', '-addext', 'basicConstraints=critical,CA:FALSE', '-keyout', 'leaf.key', '-out', 'leaf.pem');
    signer = await CsrSigner.load({ certFile: join(dir, 'ca.pem'), keyFile: join(dir, 'ca.key'), validityDays: 7 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('signs a client certificate with CN = the gateway id, verifiable with the CA, for the configured days', async () => {
    const now = Date.now();
    const signed = await signer.sign(await signer.check(await csrFor('CN=gw-17'), 'gw-17'), 'gw-17', now);
    const cert = new X509Certificate(signed.certificate);
    const ca = new X509Certificate(signed.ca);
    assert.equal(cert.subject, 'CN=gw-17');
    assert.ok(cert.verify(ca.publicKey), 'signed by the CA key');
    assert.ok(cert.checkIssued(ca));
    assert.equal(cert.ca, false);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2'], 'client authentication only');
    assert.equal(Date.parse(cert.validTo), Math.floor((now + 7 * 86_400_000) / 1000) * 1000);
    assert.ok(Date.parse(cert.validFrom) < now, 'backdated for a gateway clock a little behind');
    assert.equal(cert.serialNumber.toLowerCase().replace(/^0+/, ''), signed.serial.replace(/^0+/, ''));
    assert.equal(signed.sha256, cert.fingerprint256.replace(/:/g, '').toLowerCase(), 'the pin is what a TLS peer\'s fingerprint256 says');
    // openssl agrees it chains to the CA for client authentication
    const leaf = join(dir, 'gw-17.pem');
    execFileSync('sh', ['-c', `cat > ${leaf}`], { input: signed.certificate });
    ssl('verify', '-CAfile', 'ca.pem', '-purpose', 'sslclient', leaf);
  });

  it('never signs past the CA\'s own end', async () => {
    const long = await CsrSigner.load({ certFile: join(dir, 'ca.pem'), keyFile: join(dir, 'ca.key'), validityDays: 3650 });
    const signed = await long.sign(await long.check(await csrFor('CN=gw-1'), 'gw-1'), 'gw-1');
    assert.equal(new X509Certificate(signed.certificate).validTo, new X509Certificate(signed.ca).validTo);
  });

  it('refuses another gateway\'s subject, extra subject parts, a bad signature, weak keys and garbage, each with its code', async () => {
    assert.equal(await code(signer.check(await csrFor('CN=gw-other'), 'gw-17')), 'CSR_SUBJECT_MISMATCH');
    assert.equal(await code(signer.check(await csrFor('CN=gw-17, O=Acme'), 'gw-17')), 'CSR_SUBJECT_MISMATCH');
    assert.equal(await code(signer.check(await csrFor('O=gw-17'), 'gw-17')), 'CSR_SUBJECT_MISMATCH');
    // A valid request whose signature's last bytes are changed: it no longer proves the key.
    const der = Buffer.from(x509.PemConverter.decode(await csrFor('CN=gw-17'))[0]!);
    der[der.length - 2] ^= 0x55;
    assert.equal(await code(signer.check(x509.PemConverter.encode(der, 'CERTIFICATE REQUEST'), 'gw-17')), 'CSR_BAD_SIGNATURE');
    const rsa1024 = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
    assert.equal(await code(signer.check(await csrFor('CN=gw-17', rsa1024), 'gw-17')), 'CSR_WEAK_KEY');
    assert.equal(await code(signer.check(await csrFor('CN=gw-17', { name: 'ECDSA', namedCurve: 'P-521' }), 'gw-17')), 'CSR_WEAK_KEY');
    for (const junk of ['garbage', 42, undefined, '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----', `-----BEGIN CERTIFICATE REQUEST-----\n${'A'.repeat(20_000)}`]) {
      assert.equal(await code(signer.check(junk, 'gw-17')), 'CSR_MALFORMED', String(junk).slice(0, 40));
    }
    // and a good one still passes, so the refusals above are the request's fault
    assert.equal(await code(signer.check(await csrFor('CN=gw-17', { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }), 'gw-17')), 'no error');
  });

  it('refuses at start a CA key that is not the certificate\'s, a certificate that is no CA, and missing files, naming the key', async () => {
    const fails = async (certFile: string, keyFile: string): Promise<ConfigError> => {
      try {
        await CsrSigner.load({ certFile: join(dir, certFile), keyFile: join(dir, keyFile), validityDays: 1 });
      } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        return err;
      }
      assert.fail('loaded');
    };
    assert.match((await fails('ca.pem', 'other.key')).message, /claims\.caKey .* is not the key of claims\.caCert/);
    assert.match((await fails('leaf.pem', 'leaf.key')).message, /claims\.caCert .* is not a CA certificate/);
    assert.match((await fails('nope.pem', 'ca.key')).message, /claims\.caCert .*ENOENT/);
    assert.match((await fails('ca.pem', 'ca.pem')).message, /claims\.caKey .* is not a PEM private key/);
  });
});
