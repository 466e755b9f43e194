import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { CausewayError, validateId } from '@causeway/shared';
import type { ClaimRecord, ClaimStore } from '../fleet/fleet-store.js';
import type { FailureLimiter } from '../identity/failure-limiter.js';
import type { RegistryEntry } from '../identity/registry/contract.js';
import { generateSecret, hashSecret } from '../identity/secret-hash.js';
import type { ApiDeps } from './api-deps.js';
import { ApiError } from './http-status.js';
import { bool, int, reqStr, strArray } from './params.js';
import type { ApiCounters } from './api-counters.js';
import { ClaimError, takeClaimUse } from './claim-use.js';
import { registerWithCsr } from './csr-registration.js';
import { registerWithApproval } from './registration-routes.js';
import type { Router } from './router.js';

/**
 * A claim id: 12 base64url characters, never starting with "-" or "_". One in 32 random ids did, and
 * `causeway claims revoke -x…` then read the id as a flag and stopped with a usage error.
 */
export function newClaimId(): string {
  for (;;) {
    const id = randomBytes(9).toString('base64url');
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}

/** Claim tokens: `cw_claim_{id}.{secret}`; the id finds the claim, the secret proves it. */
const TOKEN = /^cw_claim_([A-Za-z0-9_-]{8,64})\.([A-Za-z0-9_-]{20,128})$/;

const sha256hex = (s: string): string => createHash('sha256').update(s).digest('hex');

/** What operators see of a claim: never the hash of its secret; `approval` always present (claims made before the approval queue have none: false). */
export function renderClaim(c: ClaimRecord): Record<string, unknown> {
  const { secretSha256, ...rest } = c;
  return { ...rest, approval: c.approval === true };
}


function tags(body: Record<string, unknown>): Record<string, string> {
  const t = body.tags ?? {};
  if (typeof t !== 'object' || t === null || Array.isArray(t) || !Object.values(t).every((v) => typeof v === 'string')) throw new ApiError('API_BAD_REQUEST', 'tags must be an object of strings');
  return t as Record<string, string>;
}

/** /v1/claims for operators (issue 20): tokens a gateway presents once to register itself. */
export function claimRoutes(router: Router, deps: ApiDeps, claims: ClaimStore): void {
  router.add(
    'POST',
    '/v1/claims',
    async ({ body }) => {
      const ttl = int(body, 'ttlSeconds', 7 * 24 * 3600, 1, 366 * 24 * 3600);
      const maxUses = int(body, 'maxUses', 1, 1, 1_000_000);
      const groups = strArray(body, 'groups') ?? [];
      groups.forEach((g) => validateId(g, 'group name'));
      const now = Date.now();
      const id = newClaimId();
      const secret = randomBytes(32).toString('base64url');
      const approval = bool(body, 'approval') ?? false;
      if (approval && deps.registrations === undefined) throw new ApiError('API_BAD_REQUEST', 'this node has no approval queue');
      const rec: ClaimRecord = { id, secretSha256: sha256hex(secret), createdAt: now, expiresAt: now + ttl * 1000, maxUses, uses: 0, recent: [], groups, tags: tags(body), revoked: false, approval };
      await claims.create(rec);
      deps.logger.info('claim created', { claim: id, maxUses, expiresAt: rec.expiresAt, approval });
      // The token is shown once; only the sha256 of its secret is kept.
      return { claim: renderClaim(rec), token: `cw_claim_${id}.${secret}` };
    },
    201,
  );

  router.add('GET', '/v1/claims', async () => ({ claims: (await claims.list()).map(renderClaim) }));

  router.add('POST', '/v1/claims/:id/revoke', async ({ params }) => {
    if (!(await claims.revoke(params.id!))) throw new ApiError('API_NOT_FOUND', `no claim with id ${params.id}`);
    // Its requests waiting for approval are rejected with it (and approving checks the claim too).
    const rejected = (await deps.registrations?.rejectPendingOf(params.id!, 'claim revoked', Date.now())) ?? 0;
    deps.logger.info('claim revoked', { claim: params.id, rejectedRegistrations: rejected });
    return renderClaim((await claims.get(params.id!))!);
  });
}

/**
 * `POST /v1/register` {claimToken, id} (or {claimToken, id, csr}: registerWithCsr): a gateway registers itself on first boot (issue 20). The claim
 * token is the credential (no operator token); wrong tokens are limited per source like logins. A
 * gateway id that exists is refused (409): a claim never takes over an existing gateway.
 */
export function registerRoute(router: Router, deps: ApiDeps, claims: ClaimStore, failures: FailureLimiter, counters: ApiCounters): void {
  router.add(
    'POST',
    '/v1/register',
    async ({ body, req, res }) => {
      const source = req.socket.remoteAddress ?? '?';
      if (!failures.allowed(source)) throw new ClaimError('CLAIM_RATE_LIMITED', 'too many failed registrations from this address; try again later');
      const m = TOKEN.exec(reqStr(body, 'claimToken'));
      const claim = m === null ? undefined : await claims.get(m[1]!);
      if (m === null || claim === undefined || !timingSafeEqual(Buffer.from(sha256hex(m[2]!), 'hex'), Buffer.from(claim.secretSha256, 'hex'))) {
        failures.fail(source);
        throw new ClaimError('CLAIM_INVALID', 'unknown or wrong claim token');
      }
      const id = reqStr(body, 'id');
      validateId(id, 'id');
      if (body.csr !== undefined && claim.approval !== true) {
        const out = await registerWithCsr(deps, claims, counters, { claim, id, csr: body.csr, source });
        failures.succeed(source);
        return out;
      }
      if (claim.approval === true) {
        if (deps.registrations === undefined) throw new CausewayError('API_BUSY', 'this node has no approval queue; try again');
        const out = await registerWithApproval(deps, claims, deps.registrations, { claim, id, body, source, res, counters });
        failures.succeed(source);
        return out;
      }
      const use = await takeClaimUse(deps, claims, claim, id);
      failures.succeed(source);
      const secret = generateSecret();
      const entry: RegistryEntry = {
        id,
        kind: 'gateway',
        groups: use.claim.groups,
        tags: { ...use.claim.tags, claim: claim.id },
        secretHash: await hashSecret(secret, deps.kdfLogN),
        enabled: true,
        createdAt: Date.now(),
        online: false,
      };
      try {
        await deps.registry.create(entry);
      } catch (err) {
        await claims.release(claim.id, id);
        throw err;
      }
      deps.logger.info('gateway registered by claim', { id, claim: claim.id });
      return { id, secret, groups: entry.groups };
    },
    201,
  );
}
