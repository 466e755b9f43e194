import { CausewayError } from '@causeway/shared';
import type { ClaimRecord, ClaimStore } from '../fleet/fleet-store.js';
import type { ApiDeps } from './api-deps.js';

/** A refused registration: CLAIM_INVALID (401) or the claim's own state (403). */
export class ClaimError extends CausewayError {
  override name = 'ClaimError';
}

/**
 * Takes one use of a proven claim for `id` (not registered yet), or throws the claim's state (expired,
 * used up, revoked) as a ClaimError. Both ways of registering (secret, CSR) go through it.
 */
export async function takeClaimUse(deps: ApiDeps, claims: ClaimStore, claim: ClaimRecord, id: string): Promise<{ ok: true; claim: ClaimRecord }> {
  if ((await deps.registry.get(id)) !== undefined) throw new CausewayError('REGISTRY_EXISTS', `${id} is already registered; an operator can rotate its secret (causeway devices rotate ${id})`);
  const use = await claims.use(claim.id, id, Date.now());
  if (!use.ok) {
    const why = { CLAIM_UNKNOWN: 'unknown', CLAIM_REVOKED: 'revoked', CLAIM_EXPIRED: 'expired', CLAIM_EXHAUSTED: `used ${claim.maxUses} times already` }[use.reason];
    deps.logger.warn('registration refused', { id, claim: claim.id, reason: use.reason });
    throw new ClaimError(use.reason, `claim ${claim.id} is ${why}`);
  }
  return use;
}
