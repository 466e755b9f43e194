import { createHash, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { CausewayError } from '@causeway/shared';
import type { ClaimRecord, ClaimStore } from '../fleet/fleet-store.js';
import type { RegistrationRecord, RegistrationState, RegistrationStore } from '../fleet/registration-store.js';
import type { RegistryEntry } from '../identity/registry/contract.js';
import { hashSecret } from '../identity/secret-hash.js';
import type { ApiCounters } from './api-counters.js';
import type { ApiDeps } from './api-deps.js';
import { checkCsr } from './csr-registration.js';
import { ApiError } from './http-status.js';
import { str } from './params.js';
import type { Router } from './router.js';

/** The gateway's own secret in a request to a claim that needs approval: random, base64url. */
const GATEWAY_SECRET = /^[A-Za-z0-9_-]{32,128}$/;
const STATES: readonly RegistrationState[] = ['pending', 'approved', 'rejected'];

const sha256hex = (s: string): string => createHash('sha256').update(s).digest('hex');
const sameHex = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));

/** The pin of an approved gateway whose certificate is not signed yet: no fingerprint matches it. */
const NO_CERTIFICATE_YET = 'none-issued-yet';

/** What operators see of a request: never its hashes. */
export function renderRegistration(r: RegistrationRecord): Record<string, unknown> {
  const { secretSha256, secretHash, csr, ...rest } = r;
  return { ...rest, certificate: csr !== undefined };
}

export interface PendingRequest {
  claim: ClaimRecord;
  id: string;
  body: Record<string, unknown>;
  source: string;
  res: ServerResponse;
  counters: ApiCounters;
}

/**
 * `POST /v1/register` with a claim that needs approval (issue 20), once the claim token is proven: the
 * first request takes a use of the claim and waits as `pending`; the same gateway asking again (same
 * secret) is told 202 with `retryAfterSeconds` (claims.pendingRetrySeconds) until an operator decides,
 * then 201 (approved: the registry has it with the secret it sent) or 403 CLAIM_REJECTED. A revoked
 * claim blocks its pending requests (403 CLAIM_REVOKED). An expired claim does not: the gateway asked in time.
 */
export async function registerWithApproval(deps: ApiDeps, claims: ClaimStore, regs: RegistrationStore, q: PendingRequest): Promise<unknown> {
  const secret = str(q.body, 'secret') ?? '';
  if (!GATEWAY_SECRET.test(secret)) throw new ApiError('API_BAD_REQUEST', `claim ${q.claim.id} needs an operator's approval: the request must carry the gateway's own secret (32–128 base64url characters; an agent older than the approval queue does not send one)`);
  const sha = sha256hex(secret);
  let rec = await regs.get(q.id);
  if (rec === undefined) {
    // With a CSR (identity.csr): checked now, before a use is taken; signed once approved.
    const csr = q.body.csr === undefined ? undefined : (await checkCsr(deps, q.counters, { claim: q.claim, id: q.id, csr: q.body.csr, source: q.source }), q.body.csr as string);
    if ((await deps.registry.get(q.id)) !== undefined) throw new CausewayError('REGISTRY_EXISTS', `${q.id} is already registered; an operator can rotate its secret (causeway devices rotate ${q.id})`);
    const use = await claims.use(q.claim.id, q.id, Date.now());
    if (!use.ok) {
      deps.logger.warn('registration refused', { id: q.id, claim: q.claim.id, reason: use.reason });
      throw new CausewayError(use.reason, `claim ${q.claim.id} is ${{ CLAIM_UNKNOWN: 'unknown', CLAIM_REVOKED: 'revoked', CLAIM_EXPIRED: 'expired', CLAIM_EXHAUSTED: `used ${q.claim.maxUses} times already` }[use.reason]}`);
    }
    const fresh: RegistrationRecord = { gateway: q.id, claimId: q.claim.id, state: 'pending', requestedAt: Date.now(), source: q.source, secretSha256: sha, secretHash: await hashSecret(secret, deps.kdfLogN), ...(csr === undefined ? {} : { csr }), groups: use.claim.groups, tags: use.claim.tags };
    if (!(await regs.create(fresh))) {
      await claims.release(q.claim.id, q.id);
      throw new CausewayError('REGISTRATION_CONFLICT', `another registration of ${q.id} arrived at the same time; an operator decides (causeway claims pending)`);
    }
    deps.logger.info('registration waiting for approval', { id: q.id, claim: q.claim.id, source: q.source });
    rec = fresh;
  } else if (!sameHex(rec.secretSha256, sha)) {
    // Not the gateway that asked first: it cannot learn, change or take over that request.
    throw new CausewayError('REGISTRATION_CONFLICT', `a registration of ${q.id} from another gateway is ${rec.state}; an operator decides (causeway claims pending)`);
  }
  if (rec.state !== 'approved') {
    const of = rec.claimId === q.claim.id ? q.claim : await claims.get(rec.claimId);
    if (of?.revoked !== false) throw new CausewayError('CLAIM_REVOKED', `claim ${rec.claimId} was revoked; the registration of ${q.id} will not be approved`);
  }
  if (rec.state === 'rejected') throw new CausewayError('CLAIM_REJECTED', `the registration of ${q.id} was rejected by an operator${rec.reason === undefined ? '' : `: ${rec.reason}`}`);
  if (rec.state === 'approved') {
    const entry = await deps.registry.get(q.id);
    if (entry === undefined) throw new CausewayError('CLAIM_REJECTED', `${q.id} was approved, then removed from the registry; an operator can register it again`);
    if (rec.csr !== undefined) {
      // A revoked certificate is not replaced by asking again with the approval secret (issue 20): the
      // operator deletes the gateway to let it register anew.
      if (entry.certRevokedAt !== undefined) throw new CausewayError('CLAIM_REJECTED', `the certificate of ${q.id} was revoked; an operator can delete it and let it register again`);
      // Signed on each ask after approval (the gateway asks until it has stored one); the secret proved it is the same gateway.
      const { signer, csr } = await checkCsr(deps, q.counters, { claim: q.claim, id: q.id, csr: rec.csr, source: q.source });
      const signed = await signer.sign(csr, q.id);
      // The newest certificate given is the one accepted (an answer lost on the way is replaced by the next).
      await deps.registry.update(q.id, { certSha256: signed.sha256, certNotAfter: signed.notAfter });
      deps.logger.info('approved gateway given its certificate', { id: q.id, claim: rec.claimId, serial: signed.serial, notAfter: signed.notAfter });
      return { id: q.id, groups: entry.groups, state: 'approved', certificate: signed.certificate, ca: signed.ca, notAfter: signed.notAfter };
    }
    return { id: q.id, groups: entry.groups, state: 'approved' };
  }
  const retryAfterSeconds = deps.pendingRetrySeconds ?? 60;
  const text = JSON.stringify({ id: q.id, state: 'pending', retryAfterSeconds });
  q.res.writeHead(202, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'retry-after': String(retryAfterSeconds) });
  q.res.end(text);
  return undefined;
}

/** /v1/registrations for operators (issue 20): the approval queue of claims. */
export function registrationRoutes(router: Router, deps: ApiDeps, claims: ClaimStore, regs: RegistrationStore): void {
  router.add('GET', '/v1/registrations', async ({ query }) => {
    const state = query.get('state') ?? undefined;
    if (state !== undefined && !STATES.includes(state as RegistrationState)) throw new ApiError('API_BAD_REQUEST', `state must be one of ${STATES.join(', ')}`);
    return { registrations: (await regs.list(state as RegistrationState | undefined)).map(renderRegistration) };
  });

  const notDecidable = async (gateway: string, want: string): Promise<never> => {
    const cur = await regs.get(gateway);
    if (cur === undefined) throw new ApiError('API_NOT_FOUND', `no registration request for ${gateway}`);
    throw new CausewayError('REGISTRATION_DECIDED', `the registration of ${gateway} is ${cur.state}; only a ${want} one can be`);
  };

  router.add('POST', '/v1/registrations/:gateway/approve', async ({ params }) => {
    const gateway = params.gateway!;
    const cur = await regs.get(gateway);
    if (cur === undefined) throw new ApiError('API_NOT_FOUND', `no registration request for ${gateway}`);
    if ((await claims.get(cur.claimId))?.revoked !== false) throw new CausewayError('REGISTRATION_DECIDED', `claim ${cur.claimId} was revoked; its registrations cannot be approved`);
    if ((await deps.registry.get(gateway)) !== undefined) throw new CausewayError('REGISTRY_EXISTS', `${gateway} is already registered`);
    // A rejected request may be approved after all (the operator changed their mind); the gateway, which
    // stopped on the rejection, registers when it is started again.
    const rec = (await regs.decide(gateway, ['pending', 'rejected'], 'approved', Date.now())) ?? (await notDecidable(gateway, 'pending or rejected'));
    // A gateway that asked with a CSR has no secret: its certificate, signed at its next request, is its credential.
    const entry: RegistryEntry = { id: gateway, kind: 'gateway', groups: rec.groups, tags: { ...rec.tags, claim: rec.claimId }, ...(rec.csr === undefined ? { secretHash: rec.secretHash } : { certSha256: NO_CERTIFICATE_YET }), enabled: true, createdAt: Date.now(), online: false };
    try {
      await deps.registry.create(entry);
    } catch (err) {
      await regs.decide(gateway, ['approved'], cur.state, Date.now(), cur.reason);
      throw err;
    }
    deps.logger.info('registration approved', { id: gateway, claim: rec.claimId });
    return renderRegistration(rec);
  });

  router.add('POST', '/v1/registrations/:gateway/reject', async ({ params, body }) => {
    const gateway = params.gateway!;
    const reason = str(body, 'reason');
    if (reason !== undefined && reason.length > 200) throw new ApiError('API_BAD_REQUEST', 'reason must be at most 200 characters');
    const rec = (await regs.decide(gateway, ['pending'], 'rejected', Date.now(), reason)) ?? (await notDecidable(gateway, 'pending'));
    deps.logger.info('registration rejected', { id: gateway, claim: rec.claimId });
    return renderRegistration(rec);
  });
}
