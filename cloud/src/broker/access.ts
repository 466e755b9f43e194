import type { AclDecision, Identity } from '../identity/acl.js';
import type { AuthResult } from '../identity/authenticator.js';

/** What the broker knows of a client when it asks who it is. */
export interface ConnectInfo {
  clientId: string;
  username?: string;
  password?: Buffer;
  /** remote address, for per-source limits and logs */
  remoteAddress: string;
  /** principal id from a verified TLS client certificate */
  certificateId?: string;
}

/**
 * The broker's one question to identity and access control: who is this client, and may it publish or
 * subscribe here. `cloud/src/identity/broker-access.ts` answers it from the registry; `openAccess` is the
 * development mode (anyone, everything) and the default for in-process tests.
 */
export interface AccessControl {
  authenticate(info: ConnectInfo): Promise<AuthResult>;
  canPublish(who: Identity, topic: string): AclDecision;
  canSubscribe(who: Identity, filter: string): AclDecision;
  /** presence hooks (registry online / last seen) */
  connected?(who: Identity, clientId: string): void;
  disconnected?(who: Identity, clientId: string): void;
}

const ALLOW: AclDecision = { allow: true };

/** Development mode: every client is admin. With `allowAnonymous` false, a client must at least send a username. */
export function openAccess(allowAnonymous: boolean): AccessControl {
  return {
    authenticate: async (info) =>
      allowAnonymous || info.username !== undefined
        ? { ok: true, identity: { role: 'admin', id: info.clientId } }
        : { ok: false, code: 'NOT_AUTHORIZED', reason: `client ${info.clientId} sent no username and anonymous access is off` },
    canPublish: () => ALLOW,
    canSubscribe: () => ALLOW,
  };
}
