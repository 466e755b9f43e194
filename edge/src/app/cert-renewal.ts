import { createPublicKey, generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, decodeCertRenewalAnswer, encodeCertRenewalRequest, formatTopic, type Logger } from '@causeway/shared';
import { installKeyAndCert } from './cert-files.js';
import { csrForKey } from './gateway-csr.js';

/** What renewal needs of the link: publish a request, hear answers on cert/{gateway}, know when it (re)connects. */
export interface RenewalLink {
  /** publishes on the gateway's own link; false when it is down */
  request(topic: string, payload: Buffer): boolean;
  on(event: 'cert', fn: (topic: string, payload: Buffer) => void): unknown;
  on(event: 'connect', fn: () => void): unknown;
  off(event: 'cert', fn: (topic: string, payload: Buffer) => void): unknown;
  off(event: 'connect', fn: () => void): unknown;
}

export interface CertRenewalOptions {
  link: RenewalLink;
  gateway: string;
  certFile: string;
  keyFile: string;
  /** renew when less than this fraction of the validity remains (identity.renewRemaining) */
  renewRemaining: number;
  /** how often to look, and to ask again when no answer came (identity.renewCheckSeconds) */
  checkMs: number;
  logger: Logger;
  /** the new key and certificate are on disk: reconnect with them */
  onRenewed: (notAfter: number) => void;
  now?: () => number;
}

/** Pure: is a certificate valid from `from` to `to` due for renewal at `now`? */
export function renewalDue(from: number, to: number, now: number, renewRemaining: number): boolean {
  if (renewRemaining <= 0 || to <= from) return false;
  return (to - now) / (to - from) < renewRemaining;
}

/**
 * Renews the gateway's certificate before it ends (issue 20), without a claim: when less than
 * `renewRemaining` of its validity is left, makes a new EC P-256 key and a CSR for it, sends it on
 * `cert-req/{gateway}` over the mTLS session the current certificate opened, and waits for the cloud's
 * answer on `cert/{gateway}`. The new certificate must be for that key and this gateway; then key and
 * certificate are written together (cert-files.ts: staged, fsync, rename, mode 0600) and `onRenewed`
 * reconnects with them. The cloud keeps accepting the old certificate until the new one is first used, so
 * a lost answer or a crash costs nothing: the next check asks again with a new key. The key never leaves.
 */
export class CertRenewal {
  readonly counters = { requests: 0, renewed: 0, refused: 0 };
  #timer: NodeJS.Timeout | undefined;
  #pending: { nonce: string; key: KeyObject; csr: string; askedAt: number } | undefined;
  #busy = false;
  #renewedAt = -Infinity;
  readonly #now: () => number;
  readonly #onCert = (topic: string, payload: Buffer): void => this.#answer(topic, payload);
  readonly #onConnect = (): void => void this.check();

  constructor(private readonly o: CertRenewalOptions) {
    if (!(o.renewRemaining >= 0 && o.renewRemaining < 1)) throw new ConfigError(`identity.renewRemaining must be from 0 (never) to below 1, got ${o.renewRemaining}`, { key: 'identity.renewRemaining' });
    this.#now = o.now ?? Date.now;
  }

  start(): void {
    if (this.o.renewRemaining === 0) return;
    this.o.link.on('cert', this.#onCert);
    this.o.link.on('connect', this.#onConnect);
    this.#timer = setInterval(() => void this.check(), this.o.checkMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.o.link.off('cert', this.#onCert);
    this.o.link.off('connect', this.#onConnect);
  }

  /** Asks for a new certificate when the current one is due and no answer is awaited (or it is overdue). */
  async check(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      if (this.#pending !== undefined && this.#now() - this.#pending.askedAt < this.o.checkMs) return;
      // At most one renewal per check period: a certificate due as soon as it is signed (a validity too
      // short for identity.renewRemaining) must not make the reconnect after it ask again at once, forever.
      if (this.#now() - this.#renewedAt < this.o.checkMs) return;
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(readFileSync(this.o.certFile));
      } catch (err) {
        this.o.logger.warn('certificate unreadable; not renewed', { certFile: this.o.certFile, err: (err as Error).message });
        return;
      }
      if (!renewalDue(Date.parse(cert.validFrom), Date.parse(cert.validTo), this.#now(), this.o.renewRemaining)) {
        this.#pending = undefined;
        return;
      }
      const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const pending = { nonce: randomBytes(8).toString('hex'), key, csr: await csrForKey(key, this.o.gateway), askedAt: this.#now() };
      if (!this.o.link.request(formatTopic({ kind: 'cert-req', gateway: this.o.gateway }), encodeCertRenewalRequest({ csr: pending.csr, nonce: pending.nonce }))) return;
      this.#pending = pending;
      this.counters.requests++;
      this.o.logger.info('certificate renewal asked', { gateway: this.o.gateway, validTo: cert.validTo });
    } finally {
      this.#busy = false;
    }
  }

  #answer(_topic: string, payload: Buffer): void {
    const p = this.#pending;
    let a;
    try {
      a = decodeCertRenewalAnswer(payload);
    } catch (err) {
      this.o.logger.warn('certificate answer dropped', { err: (err as Error).message });
      return;
    }
    if (p === undefined || a.nonce !== p.nonce) return; // an answer to an earlier request
    this.#pending = undefined;
    if (a.error !== undefined) {
      this.counters.refused++;
      this.o.logger.warn('certificate renewal refused', { gateway: this.o.gateway, code: a.error.code, reason: a.error.message });
      return;
    }
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(a.certificate!);
    } catch (err) {
      this.o.logger.warn('certificate answer is not a certificate', { err: (err as Error).message });
      return;
    }
    const ours = cert.publicKey.export({ type: 'spki', format: 'der' }).equals(createPublicKey(p.key).export({ type: 'spki', format: 'der' }));
    if (!ours || cert.subject !== `CN=${this.o.gateway}`) {
      this.o.logger.warn('certificate answer not for this gateway\'s new key; kept the current one', { subject: cert.subject });
      return;
    }
    installKeyAndCert(this.o.keyFile, this.o.certFile, p.key.export({ type: 'pkcs8', format: 'pem' }) as string, a.certificate!);
    this.counters.renewed++;
    this.#renewedAt = this.#now();
    if (renewalDue(Date.parse(cert.validFrom), Date.parse(cert.validTo), this.#now(), this.o.renewRemaining)) {
      this.o.logger.warn('the renewed certificate is already due: its validity is too short for identity.renewRemaining; renewing at most once per identity.renewCheckSeconds', { validFrom: cert.validFrom, validTo: cert.validTo });
    }
    this.o.logger.info('certificate renewed', { gateway: this.o.gateway, certFile: this.o.certFile, validTo: cert.validTo, fingerprint256: cert.fingerprint256 });
    this.o.onRenewed(a.notAfter!);
  }
}
