import { createHash, timingSafeEqual } from 'node:crypto';
import type { DeviceRegistry } from '../identity/registry/contract.js';
import type { FailureLimiter } from '../identity/failure-limiter.js';
import { verifySecret } from '../identity/secret-hash.js';
import { parseAppToken, type Principal } from './app-access.js';

export type { Principal } from './app-access.js';

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

function sameSecret(a: string, b: string): boolean {
  // Hash first so the comparison is constant-time whatever the lengths.
  return timingSafeEqual(sha256(a), sha256(b));
}

/** Verified app tokens remembered, so a busy app does not pay one scrypt (~30 ms) per request. */
const CACHE_MAX = 1000;

/**
 * Who is calling: the operator token, or a backend app's `cwa_…` token (issue 23 item 10), or nobody.
 * Runs before routing, so an unauthenticated caller learns nothing about which routes exist (item 16).
 */
export class ApiAuth {
  readonly #operatorToken: string;
  readonly #registry: DeviceRegistry;
  /** sha256(token) → the secret hash it was verified against; valid while the entry still holds that hash */
  readonly #verified = new Map<string, string>();

  readonly #failures: FailureLimiter;

  /** `failures` limits wrong app secrets per source: each costs an scrypt, so guessing is also a way to load the CPU. */
  constructor(operatorToken: string, registry: DeviceRegistry, failures: FailureLimiter) {
    this.#operatorToken = operatorToken;
    this.#registry = registry;
    this.#failures = failures;
  }

  /**
   * The gateway an HTTP Basic header names (`id:secret`, the credentials it uses for MQTT; issue 17),
   * or undefined: unknown, disabled, not a gateway, or a wrong secret (one answer for all, so ids cannot
   * be probed). Wrong secrets are limited per (source, id) like failed MQTT logins.
   */
  async gateway(authorization: string | undefined, source: string): Promise<string | undefined> {
    const auth = authorization ?? '';
    if (!/^basic /i.test(auth)) return undefined;
    const pair = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
    const colon = pair.indexOf(':');
    if (colon <= 0) return undefined;
    const id = pair.slice(0, colon);
    const secret = pair.slice(colon + 1);
    const e = await this.#registry.get(id);
    const key = `${source}\u0000${id}`;
    if (!this.#failures.allowed(key)) return undefined;
    const ok = e !== undefined && e.kind === 'gateway' && e.secretHash !== undefined && (await this.#verify(`gw\u0000${pair}`, secret, e.secretHash));
    if (!ok) {
      this.#failures.fail(key);
      return undefined;
    }
    this.#failures.succeed(key);
    return e.enabled ? e.id : undefined;
  }

  /** scrypt once per (credential, stored hash): a download makes many requests with the same secret. */
  async #verify(credential: string, secret: string, secretHash: string): Promise<boolean> {
    const key = sha256(credential).toString('hex');
    if (this.#verified.get(key) === secretHash) return true;
    if (!(await verifySecret(secret, secretHash))) return false;
    if (this.#verified.size >= CACHE_MAX) this.#verified.delete(this.#verified.keys().next().value!);
    this.#verified.set(key, secretHash);
    return true;
  }

  async principal(authorization: string | undefined, source: string): Promise<Principal | undefined> {
    const auth = authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    if (token === '') return undefined;
    if (sameSecret(token, this.#operatorToken)) return { kind: 'operator' };
    const parsed = parseAppToken(token);
    if (parsed === undefined) return undefined;
    // Read the entry on every request: a deleted, disabled or rotated app is refused at once, on every node.
    const e = await this.#registry.get(parsed.id);
    if (e === undefined || e.kind !== 'app' || !e.enabled || e.secretHash === undefined) return undefined;
    const key = sha256(token).toString('hex');
    if (this.#verified.get(key) !== e.secretHash) {
      if (!this.#failures.allowed(source)) return undefined;
      if (!(await verifySecret(parsed.secret, e.secretHash))) {
        this.#failures.fail(source);
        return undefined;
      }
      this.#failures.succeed(source);
      if (this.#verified.size >= CACHE_MAX) this.#verified.delete(this.#verified.keys().next().value!);
      this.#verified.set(key, e.secretHash);
    }
    return { kind: 'app', id: e.id, read: e.queues ?? [], publish: e.publish ?? [] };
  }
}
