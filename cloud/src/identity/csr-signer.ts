import { createHash, createPrivateKey, createPublicKey, randomBytes, webcrypto, X509Certificate as NodeCertificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '@causeway/shared';
import { CsrError, MAX_CSR_CHARS, type CsrRefusal } from './csr-error.js';
import { x509 } from './x509-lib.js';

/**
 * The cloud CA that signs the certificate of a gateway registering by claim with a CSR (issue 20): the
 * gateway made its key pair itself and sends only the request; the certificate has CN = gateway id (the
 * broker's TLS listener maps a verified CN to the principal, mqtt.tls.ca), is for client authentication
 * only, and is valid for claims.certValidityDays (never past the CA's own end).
 *
 * A request is refused, before it takes a use of the claim, when it is not a PKCS #10 PEM
 * (CSR_MALFORMED), its signature does not verify with its own key (CSR_BAD_SIGNATURE: not made by the
 * holder of that key), its subject is anything but CN = the id it registers (CSR_SUBJECT_MISMATCH: a
 * gateway cannot obtain a certificate for another), or its key is weak (CSR_WEAK_KEY).
 */
export { CsrError, MAX_CSR_CHARS, type CsrRefusal } from './csr-error.js';

const CURVES: Record<string, { namedCurve: string; hash: string }> = {
  prime256v1: { namedCurve: 'P-256', hash: 'SHA-256' },
  secp384r1: { namedCurve: 'P-384', hash: 'SHA-384' },
};

/** Pure: why a gateway key is not acceptable, or undefined. EC P-256/P-384 or RSA ≥ 2048 bits. */
export function weakKeyReason(key: KeyObject): string | undefined {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') return d.namedCurve !== undefined && CURVES[d.namedCurve] !== undefined ? undefined : `EC curve ${d.namedCurve ?? '?'} is not P-256 or P-384`;
  if (key.asymmetricKeyType === 'rsa') return (d.modulusLength ?? 0) >= 2048 ? undefined : `RSA key of ${d.modulusLength ?? '?'} bits (at least 2048)`;
  return `key type ${key.asymmetricKeyType ?? '?'} (EC P-256/P-384 or RSA)`;
}

export interface SignedCertificate {
  /** PEM of the gateway's certificate */
  certificate: string;
  /** PEM of the CA that signed it (what the broker's mqtt.tls.ca trusts) */
  ca: string;
  serial: string;
  notAfter: number;
  /** SHA-256 of the certificate's DER, lowercase hex: the registry pins it (RegistryEntry.certSha256) */
  sha256: string;
}

export interface CsrSignerOptions {
  /** PEM file of the CA certificate (claims.caCert) */
  certFile: string;
  /** PEM file of its private key (claims.caKey) */
  keyFile: string;
  /** days a gateway certificate is valid (claims.certValidityDays) */
  validityDays: number;
  /** seconds instead, when > 0 (claims.certValiditySeconds: short-lived certificates the agents renew) */
  validitySeconds?: number;
}

/**
 * Tolerated clock skew of a gateway that has just booted: the certificate is valid from 5 minutes ago, or
 * a tenth of its validity when that is shorter (claims.certValiditySeconds): a 60 s certificate valid from
 * 5 minutes ago would have under a fifth of its validity left when signed, and an agent renewing at a
 * third left (identity.renewRemaining) would renew it at once, again and again.
 */
const BACKDATE_MS = 5 * 60_000;

export class CsrSigner {
  private constructor(
    private readonly ca: x509.X509Certificate,
    private readonly caPem: string,
    private readonly caKey: webcrypto.CryptoKey,
    private readonly signing: webcrypto.Algorithm | webcrypto.EcdsaParams,
    private readonly validityMs: number,
  ) {}

  /** Reads and checks the CA (a config error names the key at fault). */
  static async load(o: CsrSignerOptions): Promise<CsrSigner> {
    const read = (file: string, key: string): string => {
      try {
        return readFileSync(file, 'utf8');
      } catch (err) {
        throw new ConfigError(`${key} ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { key, cause: err });
      }
    };
    const certPem = read(o.certFile, 'claims.caCert');
    let nodeCert: NodeCertificate;
    let priv: KeyObject;
    try {
      nodeCert = new NodeCertificate(certPem);
    } catch (err) {
      throw new ConfigError(`claims.caCert ${o.certFile} is not a PEM certificate`, { key: 'claims.caCert', cause: err });
    }
    try {
      priv = createPrivateKey(read(o.keyFile, 'claims.caKey'));
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError(`claims.caKey ${o.keyFile} is not a PEM private key (an encrypted key is not supported)`, { key: 'claims.caKey', cause: err });
    }
    if (!nodeCert.ca) throw new ConfigError(`claims.caCert ${o.certFile} is not a CA certificate (basicConstraints CA:TRUE)`, { key: 'claims.caCert' });
    if (!nodeCert.checkPrivateKey(priv)) throw new ConfigError(`claims.caKey ${o.keyFile} is not the key of claims.caCert ${o.certFile}`, { key: 'claims.caKey' });
    let alg: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;
    let signing: webcrypto.Algorithm | webcrypto.EcdsaParams;
    const curve = CURVES[priv.asymmetricKeyDetails?.namedCurve ?? ''];
    if (priv.asymmetricKeyType === 'ec' && curve !== undefined) {
      alg = { name: 'ECDSA', namedCurve: curve.namedCurve };
      signing = { name: 'ECDSA', hash: curve.hash } as webcrypto.EcdsaParams;
    } else if (priv.asymmetricKeyType === 'rsa') {
      alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
      signing = { name: 'RSASSA-PKCS1-v1_5' };
    } else {
      throw new ConfigError(`claims.caKey ${o.keyFile}: ${priv.asymmetricKeyType ?? '?'} keys cannot sign here (EC P-256/P-384 or RSA)`, { key: 'claims.caKey' });
    }
    const caKey = (await webcrypto.subtle.importKey('pkcs8', priv.export({ type: 'pkcs8', format: 'der' }), alg, false, ['sign']));
    return new CsrSigner(new x509.X509Certificate(certPem), certPem.trim() + '\n', caKey, signing, (o.validitySeconds ?? 0) > 0 ? o.validitySeconds! * 1000 : o.validityDays * 86_400_000);
  }

  /**
   * Checks a CSR for `gatewayId` without signing it: the public key it carries, or a CsrError. Cheap
   * enough to run before the claim is touched (one signature verification).
   */
  async check(csrPem: unknown, gatewayId: string): Promise<x509.Pkcs10CertificateRequest> {
    if (typeof csrPem !== 'string' || csrPem.length > MAX_CSR_CHARS || !csrPem.includes('-----BEGIN CERTIFICATE REQUEST-----')) {
      throw new CsrError('CSR_MALFORMED', `csr must be a PEM certificate request (BEGIN CERTIFICATE REQUEST) of at most ${MAX_CSR_CHARS} characters`);
    }
    let csr: x509.Pkcs10CertificateRequest;
    let key: KeyObject;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem);
      key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
    } catch (err) {
      throw new CsrError('CSR_MALFORMED', 'csr is not a valid PKCS #10 request', { cause: err });
    }
    // [RFC 2986 §4.1] the subject is a sequence of RDNs; exactly one, holding exactly one CN.
    const rdns = csr.subjectName.toJSON();
    const only = rdns.length === 1 ? Object.entries(rdns[0]!) : [];
    const cn = only.length === 1 && only[0]![0] === 'CN' && only[0]![1].length === 1 ? only[0]![1][0] : undefined;
    if (cn !== gatewayId) throw new CsrError('CSR_SUBJECT_MISMATCH', `csr subject must be CN=${gatewayId} and nothing else, got ${JSON.stringify(csr.subject.slice(0, 120))}`);
    const weak = weakKeyReason(key);
    if (weak !== undefined) throw new CsrError('CSR_WEAK_KEY', `csr key refused: ${weak}`);
    let ok = false;
    try {
      ok = await csr.verify();
    } catch (err) {
      throw new CsrError('CSR_BAD_SIGNATURE', 'csr signature cannot be verified (unsupported or broken signature)', { cause: err });
    }
    if (!ok) throw new CsrError('CSR_BAD_SIGNATURE', 'csr signature does not verify with the key it carries');
    return csr;
  }

  /** Signs a checked request: a client certificate for `gatewayId` (see check). */
  async sign(csr: x509.Pkcs10CertificateRequest, gatewayId: string, now = Date.now()): Promise<SignedCertificate> {
    const serial = randomBytes(16);
    serial[0] = serial[0]! & 0x7f; // [RFC 5280 §4.1.2.2] a positive integer
    // X.509 times are whole seconds: what is returned is what the certificate says.
    const notAfter = Math.floor(Math.min(now + this.validityMs, this.ca.notAfter.getTime()) / 1000) * 1000;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial.toString('hex'),
      subject: [{ CN: [gatewayId] }],
      issuer: this.ca.subjectName,
      notBefore: new Date(now - Math.min(BACKDATE_MS, this.validityMs / 10)),
      notAfter: new Date(notAfter),
      publicKey: csr.publicKey,
      signingKey: this.caKey as never,
      signingAlgorithm: this.signing as never,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
        await x509.SubjectKeyIdentifierExtension.create(csr.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.ca.publicKey),
      ],
    });
    const sha256 = createHash('sha256').update(Buffer.from(cert.rawData)).digest('hex');
    return { certificate: cert.toString('pem') + '\n', ca: this.caPem, serial: serial.toString('hex'), notAfter, sha256 };
  }
}
