import { clip } from '@causeway/shared';
import type { AuthFailure, AuthResult } from '@causeway/broker';
import type { Identity } from './acl.js';
import { looksLikeToken, verifyToken } from './access-token.js';
import type { FailureLimiter } from './failure-limiter.js';
import type { DeviceRegistry, RegistryEntry } from './registry/contract.js';
import { verifySecret } from './secret-hash.js';

export interface AuthRequest {
  clientId: string;
  username?: string;
  password?: Buffer | string;
  /** remote address, for brute-force limits */
  source: string;
  /** principal id from a verified TLS client certificate (its CN), when the listener requires one */
  certificateId?: string;
  /** SHA-256 of that certificate (DER), lowercase hex: a registry entry may pin the one certificate it accepts */
  certificateSha256?: string;
}

// The broker's access contract owns these; re-exported for the cloud's callers.
export type { AuthFailure, AuthResult };

export interface AuthenticatorOptions {
  registry: DeviceRegistry;
  limiter: FailureLimiter;
  /** development flag: no credentials → full access. Off by default. */
  allowAnonymous: boolean;
  /** HMAC key for access tokens; tokens are refused when absent */
  tokenKey?: Buffer;
  now?: () => number;
}

function identityOf(e: RegistryEntry, byCertificate: boolean): Identity {
  if (e.kind === 'app') return { role: 'app', id: e.id, queues: e.queues ?? [], canSend: e.canSend ?? false };
  return { role: 'gateway', id: e.id, groups: e.groups, ...(byCertificate ? { certificate: true as const } : {}) };
}

/**
 * A principal may only use its own client id (an app may suffix it: `analytics.worker-3`), so valid
 * credentials for one gateway cannot take over another gateway's session.
 */
function clientIdAllowed(e: RegistryEntry, clientId: string): boolean {
  if (clientId === e.id) return true;
  return e.kind === 'app' && clientId.startsWith(`${e.id}.`);
}

/** The principal a CONNECT claims to be: its username, else its client id (as #check reads them). */
function claimedPrincipal(req: AuthRequest): string {
  if (req.certificateId !== undefined) return req.certificateId;
  return req.username !== undefined && req.username !== '' ? req.username : req.clientId;
}

/** The failure limiter's key: source and claimed principal (NUL cannot occur in either). */
function failureKey(req: AuthRequest): string {
  return `${req.source}\u0000${claimedPrincipal(req)}`;
}

/**
 * Authenticates a CONNECT. Never throws for bad input and never puts a secret in a reason string
 * (reasons are logged).
 */
export class Authenticator {
  readonly #o: AuthenticatorOptions;
  /**
   * CONNECTs refused because the principal's certificate was revoked, and renewed certificates pinned at
   * their first use (issue 20; /v1/stats `auth`)
   */
  readonly counters = { certRevokedRefused: 0, certRenewedInUse: 0 };

  constructor(opts: AuthenticatorOptions) {
    this.#o = opts;
  }

  async authenticate(req: AuthRequest): Promise<AuthResult> {
    const { limiter } = this.#o;
    // Failures are counted per (source, claimed principal), not per source: many gateways behind one
    // carrier NAT share an address, and one of them guessing must not lock out the others (issue 23
    // item 9). A banned pair is refused even with the right secret until it refills, so guessing one
    // principal's secret stays as slow as before.
    const key = failureKey(req);
    if (!limiter.allowed(key)) {
      return { ok: false, code: 'BANNED', reason: `too many failed attempts for ${clip(claimedPrincipal(req))} from ${req.source}` };
    }
    const result = await this.#check(req);
    if (result.ok) limiter.succeed(key);
    else if (result.code === 'BAD_CREDENTIALS') limiter.fail(key);
    return result;
  }

  async #check(req: AuthRequest): Promise<AuthResult> {
    const password = req.password === undefined ? undefined : Buffer.isBuffer(req.password) ? req.password.toString('utf8') : req.password;
    if (req.certificateId !== undefined) {
      // Pinned (a gateway registered with a CSR, issue 20): only the certificate issued to it, not another one
      // the CA signed for the same CN earlier (before the id was deleted and registered again, say).
      // Revoked (POST /v1/devices/{id}/revoke-cert): no certificate at all, so an older one the CA signed
      // for the CN does not take the revoked one's place. Said as such: the holder had a valid certificate,
      // so the answer reveals nothing a prober could not know.
      // Renewed (issue 20): the new certificate (certSha256Next) is accepted beside the pinned one, and its
      // first use pins it, so the old one stops there; until then a gateway that lost the answer still
      // connects with the old one and asks again.
      let revoked = false;
      let promote: string | undefined;
      const r = await this.#principal(
        req.certificateId,
        req.clientId,
        async (e) => {
          revoked = e.certRevokedAt !== undefined;
          if (revoked) return false;
          if (e.certSha256 === undefined || e.certSha256 === req.certificateSha256) return true;
          if (e.certSha256Next === undefined || e.certSha256Next !== req.certificateSha256) return false;
          promote = e.certSha256Next;
          return true;
        },
        true,
      );
      if (r.ok && promote !== undefined) {
        await this.#o.registry.update(req.certificateId, { certSha256: promote });
        this.counters.certRenewedInUse++;
      }
      if (!revoked) return r;
      this.counters.certRevokedRefused++;
      return { ok: false, code: 'NOT_AUTHORIZED', reason: `the certificate of ${clip(req.certificateId)} was revoked` };
    }
    if (password === undefined || password === '') {
      if (this.#o.allowAnonymous) return { ok: true, identity: { role: 'admin', id: req.clientId || 'anonymous' } };
      return { ok: false, code: 'NOT_AUTHORIZED', reason: `client ${clip(req.clientId)} sent no credentials and anonymous access is off` };
    }
    if (looksLikeToken(password)) {
      if (this.#o.tokenKey === undefined) return { ok: false, code: 'BAD_CREDENTIALS', reason: 'tokens are not enabled on this broker' };
      const check = verifyToken(this.#o.tokenKey, password, req.clientId, (this.#o.now ?? Date.now)());
      if (!check.ok) return { ok: false, code: 'BAD_CREDENTIALS', reason: `token refused for client ${clip(req.clientId)}: ${check.reason}` };
      // A token issued before the last rotation or disable is revoked (issue 23 item 6).
      let revoked = false;
      const r = await this.#principal(check.clientId, req.clientId, async (e) => {
        revoked = (e.tokenGeneration ?? 0) !== check.generation;
        return !revoked;
      });
      return revoked ? { ok: false, code: 'BAD_CREDENTIALS', reason: `token refused for client ${clip(req.clientId)}: REVOKED` } : r;
    }
    const id = req.username !== undefined && req.username !== '' ? req.username : req.clientId;
    return this.#principal(id, req.clientId, async (e) => e.secretHash !== undefined && (await verifySecret(password, e.secretHash)));
  }

  async #principal(id: string, clientId: string, verify: (e: RegistryEntry) => Promise<boolean>, byCertificate = false): Promise<AuthResult> {
    const e = await this.#o.registry.get(id);
    // Unknown id and wrong secret give the same answer so ids cannot be probed.
    if (e === undefined || !(await verify(e))) return { ok: false, code: 'BAD_CREDENTIALS', reason: `bad credentials for ${clip(id)}` };
    if (!e.enabled) return { ok: false, code: 'NOT_AUTHORIZED', reason: `${e.kind} ${id} is disabled` };
    if (!clientIdAllowed(e, clientId)) return { ok: false, code: 'NOT_AUTHORIZED', reason: `${e.kind} ${id} may not connect as client ${clip(clientId)}` };
    return { ok: true, identity: identityOf(e, byCertificate) };
  }
}
