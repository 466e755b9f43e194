import type { ClaimRecord, ClaimStore } from '../fleet/fleet-store.js';
import { CsrError } from '../identity/csr-error.js';
import type { CsrSigner } from '../identity/csr-signer.js';
import type { RegistryEntry } from '../identity/registry/contract.js';
import type { ApiCounters } from './api-counters.js';
import type { ApiDeps } from './api-deps.js';
import { takeClaimUse } from './claim-use.js';
import { ApiError } from './http-status.js';

export interface CsrRequest {
  claim: ClaimRecord;
  id: string;
  csr: unknown;
  source: string;
}

/**
 * The cloud's signer and the checked request, or the refusal (400 with its code, logged and counted).
 * Also used for a claim that needs approval: the request is checked when the gateway first asks.
 */
export async function checkCsr(deps: ApiDeps, counters: ApiCounters, q: CsrRequest): Promise<{ signer: CsrSigner; csr: Awaited<ReturnType<CsrSigner['check']>> }> {
  const signer = deps.csrSigner;
  if (signer === undefined) throw new ApiError('API_BAD_REQUEST', 'this cloud signs no certificates (claims.caCert and claims.caKey are not set); register without a csr to get a secret');
  try {
    return { signer, csr: await signer.check(q.csr, q.id) };
  } catch (err) {
    if (err instanceof CsrError) {
      counters.csrRefused++;
      deps.logger.warn('registration CSR refused', { id: q.id, claim: q.claim.id, source: q.source, code: err.code, reason: err.message });
    }
    throw err;
  }
}

/**
 * `POST /v1/register` {claimToken, id, csr} (issue 20): a gateway registering by claim with a PKCS #10
 * request instead of asking for a secret. Its private key never leaves it; the cloud CA (claims.caCert)
 * signs a client certificate with CN = id, which the broker's TLS listener (mqtt.tls.ca) maps to the
 * gateway. The registry entry has no secret: the certificate is its only credential, pinned by its
 * SHA-256 (certSha256), so no other certificate of the CA with that CN is accepted for it.
 *
 * The CSR is checked before the claim is touched, so a hostile or broken request takes no use of it;
 * each refusal is answered 400 with its code (CSR_MALFORMED, CSR_BAD_SIGNATURE, CSR_SUBJECT_MISMATCH,
 * CSR_WEAK_KEY), logged at warn and counted (causeway_api_events{counter="csrRefused"}).
 */
export async function registerWithCsr(deps: ApiDeps, claims: ClaimStore, counters: ApiCounters, q: CsrRequest): Promise<unknown> {
  const { signer, csr } = await checkCsr(deps, counters, q);
  const use = await takeClaimUse(deps, claims, q.claim, q.id);
  let signed;
  let entry: RegistryEntry;
  try {
    signed = await signer.sign(csr, q.id);
    // Pinned: the broker accepts this certificate for the id, not another the CA signed for the same CN.
    entry = { id: q.id, kind: 'gateway', groups: use.claim.groups, tags: { ...use.claim.tags, claim: q.claim.id }, certSha256: signed.sha256, certNotAfter: signed.notAfter, enabled: true, createdAt: Date.now(), online: false };
    await deps.registry.create(entry);
  } catch (err) {
    await claims.release(q.claim.id, q.id);
    throw err;
  }
  deps.logger.info('gateway registered by claim with a certificate', { id: q.id, claim: q.claim.id, serial: signed.serial, notAfter: signed.notAfter });
  return { id: q.id, groups: entry.groups, certificate: signed.certificate, ca: signed.ca, notAfter: signed.notAfter };
}
