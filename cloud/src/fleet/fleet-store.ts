import type { GatewayHealth } from '@causeway/shared';

/**
 * Where the cloud keeps what fleet operations need (issue 20): the latest status each gateway reported
 * (`GatewayStatusRecord`), and the claim tokens gateways register themselves with (`ClaimRecord`). Part
 * of the control store (control-store.ts), so both backends have it: `control.db` on one node, a
 * JetStream KV bucket shared by several. The contract suite is cloud/test/control/control-store-contract.ts.
 */

export interface GatewayStatusRecord {
  gateway: string;
  online: boolean;
  agentVersion?: string;
  /** the last health the gateway sent; an offline status (its will) keeps the one before */
  health?: GatewayHealth;
  /** the gateway's clock when it sent the status */
  reportedAt: number;
  /** the cloud's clock when the broker stored it */
  receivedAt: number;
  /** reportedAt − receivedAt of the last status with health: the gateway's clock offset, transit included */
  clockOffsetMs?: number;
}

export interface FleetStatusStore {
  /**
   * Stores each gateway's status unless a later one (by `receivedAt`) is stored; a status without health
   * keeps the stored health and its clock offset. Given in arrival order, several per call: a fleet's
   * heartbeats are written in batches (SQLite: one transaction per pull of the status queue).
   */
  putStatuses(recs: readonly GatewayStatusRecord[]): Promise<void>;
  /** Every gateway that ever reported, ordered by id. */
  statuses(): Promise<GatewayStatusRecord[]>;
}

export interface ClaimRecord {
  id: string;
  /** sha256 of the token's secret part, hex (the token is 32 random bytes: a KDF adds nothing) */
  secretSha256: string;
  createdAt: number;
  expiresAt: number;
  maxUses: number;
  /** gateways registered with it */
  uses: number;
  /** the last CLAIM_RECENT_IDS of them, oldest first (bounded: a claim may serve a whole fleet, and a KV value is small) */
  recent: string[];
  groups: string[];
  tags: Record<string, string>;
  revoked: boolean;
  /** registrations wait for an operator's approval (absent on claims made before the approval queue: false) */
  approval?: boolean;
}

export type ClaimUse = { ok: true; claim: ClaimRecord } | { ok: false; reason: 'CLAIM_UNKNOWN' | 'CLAIM_REVOKED' | 'CLAIM_EXPIRED' | 'CLAIM_EXHAUSTED' };

export interface ClaimStore {
  create(rec: ClaimRecord): Promise<void>;
  get(id: string): Promise<ClaimRecord | undefined>;
  /** Newest first. */
  list(): Promise<ClaimRecord[]>;
  /** Marks a claim revoked; false when unknown. */
  revoke(id: string): Promise<boolean>;
  /**
   * Takes one use of a claim for `gateway`, atomically: refused when unknown, revoked, expired at `at` or
   * used `maxUses` times already (several nodes may take uses at once; none goes over).
   */
  use(id: string, gateway: string, at: number): Promise<ClaimUse>;
  /** Gives back the use `gateway` took (its registration failed after the use was taken). */
  release(id: string, gateway: string): Promise<void>;
}

/** Pure: the claim after one use by `gateway` at `at`, or why not. Both backends apply it. */
export function takeUse(cur: ClaimRecord | undefined, gateway: string, at: number): ClaimUse {
  if (cur === undefined) return { ok: false, reason: 'CLAIM_UNKNOWN' };
  if (cur.revoked) return { ok: false, reason: 'CLAIM_REVOKED' };
  if (at >= cur.expiresAt) return { ok: false, reason: 'CLAIM_EXPIRED' };
  if (cur.uses >= cur.maxUses) return { ok: false, reason: 'CLAIM_EXHAUSTED' };
  return { ok: true, claim: { ...cur, uses: cur.uses + 1, recent: [...cur.recent, gateway].slice(-CLAIM_RECENT_IDS) } };
}

/** Pure: the claim with the use `gateway` took given back, or undefined when it has none to give back. */
export function giveBack(cur: ClaimRecord | undefined, gateway: string): ClaimRecord | undefined {
  if (cur === undefined || cur.uses === 0) return undefined;
  const i = cur.recent.lastIndexOf(gateway);
  return { ...cur, uses: cur.uses - 1, recent: i < 0 ? cur.recent : cur.recent.filter((_, j) => j !== i) };
}

export const CLAIM_RECENT_IDS = 50;

/** Pure: the status to store given the stored one, or undefined to keep what is stored. */
export function mergeStatus(cur: GatewayStatusRecord | undefined, next: GatewayStatusRecord): GatewayStatusRecord | undefined {
  if (cur !== undefined && cur.receivedAt > next.receivedAt) return undefined;
  if (next.health !== undefined || cur === undefined) return next;
  const kept: GatewayStatusRecord = { ...next };
  if (cur.health !== undefined) kept.health = cur.health;
  if (cur.clockOffsetMs !== undefined) kept.clockOffsetMs = cur.clockOffsetMs;
  if (kept.agentVersion === undefined && cur.agentVersion !== undefined) kept.agentVersion = cur.agentVersion;
  return kept;
}
