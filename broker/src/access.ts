/**
 * Who a connected client is, after authentication. Roles:
 * - `gateway`: a field gateway (or a device connecting directly); may publish only uplink topics under
 *   its own id and subscribe only to its own downlink, its groups' commands, the broadcast and its config;
 * - `app`: a backend application; reads the server-side queues it is granted and may send downlink;
 * - `admin`: operators and tests in development mode; anything.
 */
export type Identity =
  /** certificate: the session was authenticated by a TLS client certificate (it may renew it, issue 20) */
  | { role: 'gateway'; id: string; groups: readonly string[]; certificate?: true }
  | { role: 'app'; id: string; queues: readonly string[]; canSend: boolean }
  | { role: 'admin'; id: string };

export type AclDecision = { allow: true } | { allow: false; reason: string };

/** Why a CONNECT was refused; the broker maps these to CONNACK codes in one place. */
export type AuthFailure = 'BAD_CREDENTIALS' | 'NOT_AUTHORIZED' | 'BANNED';

export type AuthResult = { ok: true; identity: Identity } | { ok: false; code: AuthFailure; reason: string };

/** What the broker knows of a client when it asks who it is. */
export interface ConnectInfo {
  clientId: string;
  username?: string;
  password?: Buffer;
  /** remote address, for per-source limits and logs */
  remoteAddress: string;
  /** principal id from a verified TLS client certificate */
  certificateId?: string;
  /** SHA-256 of that certificate (DER), lowercase hex: a registry entry may pin the one certificate it accepts */
  certificateSha256?: string;
}

/** The connection asking, as operator ACL rules name it (mosquitto's `%c` and `%u`). */
export interface AclSubject {
  readonly clientId: string;
  /** the CONNECT username, if it sent one */
  readonly username: string | undefined;
}

/**
 * The broker's one question to identity and access control: who is this client, and may it publish or
 * subscribe here. `cloud/src/identity/broker-access.ts` answers it from the registry; `openAccess` is the
 * development mode (anyone, everything) and the default for in-process tests.
 */
export interface AccessControl {
  authenticate(info: ConnectInfo): Promise<AuthResult>;
  canPublish(who: Identity, topic: string, client: AclSubject): AclDecision;
  canSubscribe(who: Identity, filter: string, client: AclSubject): AclDecision;
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
