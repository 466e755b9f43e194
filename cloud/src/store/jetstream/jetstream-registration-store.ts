import type { KV } from 'nats';
import { decided, type RegistrationRecord, type RegistrationState, type RegistrationStore } from '../../fleet/registration-store.js';
import { compareAndSet } from './kv-compare-and-set.js';
import { isPut, scanKv } from './kv-scan.js';
import { escapeToken } from './subject-escape.js';

/**
 * Registration requests in the KV bucket `<prefix>_fleet`, key `reg.<gateway>`; each decision is a
 * compare-and-set, so two nodes deciding at once cannot both win.
 */
export class JetStreamRegistrationStore implements RegistrationStore {
  constructor(
    private readonly kv: KV,
    private readonly timeoutMs: number,
  ) {}

  #key(gateway: string): string {
    return `reg.${escapeToken(gateway)}`;
  }

  async create(rec: RegistrationRecord): Promise<boolean> {
    return (await compareAndSet<RegistrationRecord, true>(this.kv, this.#key(rec.gateway), (cur) => (cur === undefined ? { value: rec, result: true } : undefined))) ?? false;
  }

  async get(gateway: string): Promise<RegistrationRecord | undefined> {
    const e = await this.kv.get(this.#key(gateway));
    return e === null || !isPut(e) ? undefined : (e.json() as RegistrationRecord);
  }

  async list(state?: RegistrationState): Promise<RegistrationRecord[]> {
    const all = (await scanKv(this.kv, 'reg.>', this.timeoutMs)).map((e) => e.json() as RegistrationRecord).filter((r) => state === undefined || r.state === state);
    return all.sort((a, b) => a.requestedAt - b.requestedAt || (a.gateway < b.gateway ? -1 : a.gateway > b.gateway ? 1 : 0));
  }

  async decide(gateway: string, from: readonly RegistrationState[], to: RegistrationState, at: number, reason?: string): Promise<RegistrationRecord | undefined> {
    return compareAndSet<RegistrationRecord, RegistrationRecord>(this.kv, this.#key(gateway), (cur) => {
      const next = decided(cur, from, to, at, reason);
      return next === undefined ? undefined : { value: next, result: next };
    });
  }

  async rejectPendingOf(claimId: string, reason: string, at: number): Promise<number> {
    // Not one transaction over the keys: the claim is revoked first, and approving checks the claim, so a
    // request this scan misses cannot be approved either.
    const pending = (await this.list('pending')).filter((r) => r.claimId === claimId);
    const done = await Promise.all(pending.map((r) => this.decide(r.gateway, ['pending'], 'rejected', at, reason)));
    return done.filter((r) => r !== undefined).length;
  }
}
