/**
 * The approval queue of claims (issue 20): a gateway that presents a claim created with `approval` is not
 * registered at once; its request waits here until an operator approves or rejects it
 * (`causeway claims pending | approve | reject`, /v1/registrations). Part of the control store, so both
 * backends have it (SQLite table `registrations`, JetStream KV key `reg.<gateway>`); the contract suite is
 * cloud/test/control/control-store-contract.ts.
 *
 * The gateway chooses its own secret (32 random bytes, like the key of a CSR) and sends it with the
 * request; the cloud keeps only its hashes: sha256 to recognise the same gateway asking again (cheap, the
 * secret is random), scrypt for the registry entry made on approval. No secret waits in the cloud in clear.
 */

export type RegistrationState = 'pending' | 'approved' | 'rejected';

export interface RegistrationRecord {
  /** the gateway id asked for (one request per id) */
  gateway: string;
  claimId: string;
  state: RegistrationState;
  requestedAt: number;
  /** the address the request came from, for the operator deciding */
  source: string;
  /** sha256 of the gateway's secret, hex: a later request with the same secret is the same gateway */
  secretSha256: string;
  /** the registry's scrypt hash of that secret, used as is on approval */
  secretHash: string;
  /**
   * the gateway's certificate request (PEM), when it registers with a CSR (identity.csr): checked when it
   * asked, signed when it asks again after approval; its registry entry then has no secret
   */
  csr?: string;
  /** the claim's groups and tags, as they were when the gateway asked */
  groups: string[];
  tags: Record<string, string>;
  decidedAt?: number;
  /** why it was rejected (operator's words, or "claim revoked") */
  reason?: string;
}

export interface RegistrationStore {
  /** Stores a new request; false when one for that gateway exists already (it is left as it is). */
  create(rec: RegistrationRecord): Promise<boolean>;
  get(gateway: string): Promise<RegistrationRecord | undefined>;
  /** Oldest request first; only those in `state` when given. */
  list(state?: RegistrationState): Promise<RegistrationRecord[]>;
  /**
   * Moves a request to `to` atomically when it is in one of `from` (several operators or nodes may decide
   * at once: one wins); returns the record as stored after, or undefined when unknown or not in `from`.
   */
  decide(gateway: string, from: readonly RegistrationState[], to: RegistrationState, at: number, reason?: string): Promise<RegistrationRecord | undefined>;
  /** Rejects every pending request made with a claim (the claim was revoked); returns how many. */
  rejectPendingOf(claimId: string, reason: string, at: number): Promise<number>;
}

/** Pure: the record after a decision, or undefined when it does not apply. Both backends use it. */
export function decided(cur: RegistrationRecord | undefined, from: readonly RegistrationState[], to: RegistrationState, at: number, reason?: string): RegistrationRecord | undefined {
  if (cur === undefined || !from.includes(cur.state)) return undefined;
  const { reason: _old, ...rest } = cur;
  return { ...rest, state: to, decidedAt: at, ...(reason === undefined ? {} : { reason }) };
}
