import { CausewayError, decodeCertRenewalRequest, encodeCertRenewalAnswer, formatTopic, tryParseTopic, type CertRenewalAnswer, type Logger } from '@causeway/shared';
import type { ServerQueues } from '../queues/contract.js';
import type { CsrSigner } from './csr-signer.js';
import type { DeviceRegistry } from './registry/contract.js';

/**
 * Renews the certificates of gateways registered with a CSR (issue 20), without a claim: a gateway whose
 * certificate nears its end sends a CSR for a new key on `cert-req/{gateway}` over the mTLS session its
 * current certificate opened (the ACL lets only such a session publish there, cloud/src/identity/acl.ts),
 * and gets the new certificate on `cert/{gateway}`. Consumes the `cert-req` server-side queue as the
 * reserved clustering group `_certs`, so one node of a cluster answers each request.
 *
 * Only a pinned gateway (certSha256: registered with a CSR), enabled and not revoked, is renewed; the CSR
 * is checked as at registration (CN = the gateway, a strong key). The new certificate's hash becomes
 * `certSha256Next`: accepted beside the pinned one until its first CONNECT pins it (authenticator.ts), so
 * a gateway that loses the answer still connects with its old certificate and asks again. Each renewal
 * and refusal is logged (id, serial, notAfter, code; never a key) and counted.
 */
export class CertRenewer {
  readonly #ac = new AbortController();
  #loop: Promise<void> | undefined;
  readonly counters = { requests: 0, renewed: 0, refused: 0, malformed: 0 };

  constructor(
    private readonly queues: ServerQueues,
    private readonly registry: DeviceRegistry,
    private readonly signer: CsrSigner,
    /** publishes an answer (QoS 1, through the log: the gateway's persistent session gets it after a drop) */
    private readonly publish: (topic: string, payload: Buffer) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    const spec = { queue: 'cert-req', group: '_certs', mode: 'clustering' as const };
    while (!this.#ac.signal.aborted) {
      try {
        const msgs = await this.queues.pull(spec, 'certs', 16, 1000, this.#ac.signal);
        for (const m of msgs) await this.handle(m.topic, m.payload, m.properties.clientId);
        if (msgs.length > 0) await this.queues.ack(spec, 'certs', msgs.map((m) => m.offset));
      } catch (err) {
        if (this.#ac.signal.aborted) break;
        this.logger.error('certificate renewer failed; retrying', { err });
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /**
   * One request from `cert-req/{gateway}`, published by `clientId`: answered on `cert/{gateway}`, or
   * dropped when malformed or not published by the gateway's own session (the ACL lets no one else on
   * MQTT, and the HTTP API refuses raw publishes there; this holds if either changes).
   */
  async handle(topic: string, payload: Buffer, clientId: string | undefined): Promise<void> {
    const t = tryParseTopic(topic);
    if (t === undefined || t.kind !== 'cert-req') {
      this.counters.malformed++;
      return;
    }
    if (clientId !== t.gateway) {
      this.counters.malformed++;
      this.logger.warn('certificate renewal dropped: not published by the gateway itself', { gateway: t.gateway, clientId: clientId ?? '' });
      return;
    }
    this.counters.requests++;
    let req;
    try {
      req = decodeCertRenewalRequest(payload);
    } catch (err) {
      this.counters.malformed++;
      this.logger.warn('certificate renewal dropped', { gateway: t.gateway, code: (err as CausewayError).code });
      return;
    }
    let answer: CertRenewalAnswer;
    try {
      answer = { nonce: req.nonce, ...(await this.#renew(t.gateway, req.csr)) };
    } catch (err) {
      if (!(err instanceof CausewayError)) throw err;
      this.counters.refused++;
      this.logger.warn('certificate renewal refused', { gateway: t.gateway, code: err.code, reason: err.message });
      answer = { nonce: req.nonce, error: { code: err.code, message: err.message } };
    }
    await this.publish(formatTopic({ kind: 'cert', gateway: t.gateway }), encodeCertRenewalAnswer(answer));
  }

  async #renew(gateway: string, csrPem: string): Promise<{ certificate: string; notAfter: number }> {
    const e = await this.registry.get(gateway);
    if (e === undefined || e.kind !== 'gateway') throw new CausewayError('CERT_RENEWAL_REFUSED', `no gateway ${gateway}`);
    if (e.certSha256 === undefined) throw new CausewayError('CERT_RENEWAL_REFUSED', `gateway ${gateway} was not registered with a CSR: its certificate is not the cloud's to renew`);
    if (e.certRevokedAt !== undefined) throw new CausewayError('CERT_RENEWAL_REFUSED', `the certificate of gateway ${gateway} was revoked`);
    if (!e.enabled) throw new CausewayError('CERT_RENEWAL_REFUSED', `gateway ${gateway} is disabled`);
    // Refused as at registration (a CsrError: CSR_MALFORMED, CSR_SUBJECT_MISMATCH, CSR_WEAK_KEY…).
    const csr = await this.signer.check(csrPem, gateway);
    const signed = await this.signer.sign(csr, gateway);
    await this.registry.update(gateway, { certSha256Next: signed.sha256, certNotAfter: signed.notAfter });
    this.counters.renewed++;
    this.logger.info('certificate renewed', { gateway, serial: signed.serial, notAfter: signed.notAfter, certSha256: signed.sha256 });
    return { certificate: signed.certificate, notAfter: signed.notAfter };
  }

  async stop(): Promise<void> {
    this.#ac.abort();
    await this.#loop;
  }
}
