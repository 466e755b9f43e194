/**
 * The device registry: gateways, the devices behind them, backend apps, their groups and tags,
 * credentials (hashed), enabled flag, last seen and online status. Backends: memory (tests) and SQLite
 * (default); both run `describeRegistryContract` in cloud/test/identity/registry-contract.ts.
 */
export type PrincipalKind = 'gateway' | 'device' | 'app';

export interface RegistryEntry {
  id: string;
  kind: PrincipalKind;
  /** for a device behind a gateway: its gateway */
  gateway?: string;
  groups: string[];
  tags: Record<string, string>;
  /** scrypt hash of the current secret (see secret-hash.ts); absent = token-only */
  secretHash?: string;
  /**
   * SHA-256 (lowercase hex of the DER) of the one TLS client certificate this principal may connect with:
   * set when a gateway registers by claim with a CSR (issue 20). Absent: any certificate that mqtt.tls.ca
   * verifies with this id as CN.
   */
  certSha256?: string;
  /**
   * When an operator revoked this principal's certificate (`POST /v1/devices/{id}/revoke-cert`, issue 20):
   * from then on no TLS client certificate authenticates it, pinned or not, until it is registered again
   * (delete, then a claim). Its secret or tokens, if it has any, still do.
   */
  certRevokedAt?: number;
  /**
   * A renewed certificate not used yet (issue 20): accepted beside `certSha256` until its first CONNECT
   * pins it (certSha256 := this), which shuts the old one out. Renewing again replaces it.
   */
  certSha256Next?: string;
  /** when the pinned or renewed certificate ends (ms), as the cloud signed it: for operators */
  certNotAfter?: number;
  enabled: boolean;
  createdAt: number;
  lastSeenAt?: number;
  online: boolean;
  /** apps: server-side queues they may read ('*' = all) */
  queues?: string[];
  /** apps: may they send to devices */
  canSend?: boolean;
  /** apps: topic filters they may publish on through the HTTP API (POST /v1/apps) */
  publish?: string[];
  /**
   * Access tokens carry the generation they were issued at and are refused once it differs; rotating the
   * secret or disabling the entry increments it (see applyPatch, access-token.ts). Absent = 0.
   */
  tokenGeneration?: number;
}

export interface RegistryQuery {
  kind?: PrincipalKind;
  group?: string;
  /** `key=value` */
  tag?: string;
  gateway?: string;
}

export interface DeviceRegistry {
  /** Throws a CausewayError with code REGISTRY_EXISTS if the id is taken. */
  create(entry: RegistryEntry): Promise<void>;
  /** Creates every entry or none (issue 20: `POST /v1/devices:batch`); REGISTRY_EXISTS names one that exists. */
  createMany(entries: readonly RegistryEntry[]): Promise<void>;
  get(id: string): Promise<RegistryEntry | undefined>;
  list(query?: RegistryQuery): Promise<RegistryEntry[]>;
  /** Throws REGISTRY_NOT_FOUND for an unknown id. Returns the updated entry. */
  update(id: string, patch: Partial<Omit<RegistryEntry, 'id' | 'createdAt'>>): Promise<RegistryEntry>;
  delete(id: string): Promise<boolean>;
  /** Records presence; cheap, called on connect and disconnect. */
  markSeen(id: string, online: boolean, at: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Pure: the entry after `patch`, as every backend's update computes it. A new secret or a disable also
 * increments `tokenGeneration`, which revokes every access token issued before (issue 23 item 6), so no
 * caller (API, CLI) can rotate or disable and forget the tokens.
 */
export function applyPatch(cur: RegistryEntry, patch: Partial<Omit<RegistryEntry, 'id' | 'createdAt'>>): RegistryEntry {
  const next = { ...cur, ...structuredClone(patch) } as RegistryEntry;
  const rotated = patch.secretHash !== undefined && patch.secretHash !== cur.secretHash;
  const disabled = cur.enabled && patch.enabled === false;
  if (rotated || disabled) next.tokenGeneration = (cur.tokenGeneration ?? 0) + 1;
  return next;
}

/** Pure: does an entry satisfy a query. Shared by the backends so they agree. */
export function matchesQuery(e: RegistryEntry, q: RegistryQuery): boolean {
  if (q.kind !== undefined && e.kind !== q.kind) return false;
  if (q.group !== undefined && !e.groups.includes(q.group)) return false;
  if (q.gateway !== undefined && e.gateway !== q.gateway) return false;
  if (q.tag !== undefined) {
    const eq = q.tag.indexOf('=');
    const k = eq < 0 ? q.tag : q.tag.slice(0, eq);
    const v = eq < 0 ? undefined : q.tag.slice(eq + 1);
    if (!Object.hasOwn(e.tags, k) || (v !== undefined && e.tags[k] !== v)) return false;
  }
  return true;
}
