import type { KV } from 'nats';
import { type ClaimRecord, type ClaimStore, type ClaimUse, type FleetStatusStore, type GatewayStatusRecord, giveBack, mergeStatus, takeUse } from '../../fleet/fleet-store.js';
import { compareAndSet } from './kv-compare-and-set.js';
import { isPut, scanKv } from './kv-scan.js';
import { escapeToken } from './subject-escape.js';

/** Gateway statuses in the KV bucket `<prefix>_fleet`, key `status.<gateway>`; merged by compare-and-set. */
export class JetStreamFleetStatusStore implements FleetStatusStore {
  constructor(
    private readonly kv: KV,
    private readonly timeoutMs: number,
  ) {}

  async putStatuses(recs: readonly GatewayStatusRecord[]): Promise<void> {
    // One chain per gateway (its statuses in order), the gateways side by side.
    const byGateway = new Map<string, GatewayStatusRecord[]>();
    for (const r of recs) byGateway.set(r.gateway, [...(byGateway.get(r.gateway) ?? []), r]);
    await Promise.all(
      [...byGateway.values()].map(async (list) => {
        for (const rec of list) {
          await compareAndSet<GatewayStatusRecord, true>(this.kv, `status.${escapeToken(rec.gateway)}`, (cur) => {
            const next = mergeStatus(cur, rec);
            return next === undefined ? undefined : { value: next, result: true };
          });
        }
      }),
    );
  }

  async statuses(): Promise<GatewayStatusRecord[]> {
    const all = (await scanKv(this.kv, 'status.>', this.timeoutMs)).map((e) => e.json() as GatewayStatusRecord);
    return all.sort((a, b) => (a.gateway < b.gateway ? -1 : a.gateway > b.gateway ? 1 : 0));
  }
}

/** Claims in the KV bucket `<prefix>_fleet`, key `claim.<id>`; a use is a compare-and-set, so no node goes over the count. */
export class JetStreamClaimStore implements ClaimStore {
  constructor(
    private readonly kv: KV,
    private readonly timeoutMs: number,
  ) {}

  #key(id: string): string {
    return `claim.${escapeToken(id)}`;
  }

  async create(rec: ClaimRecord): Promise<void> {
    await this.kv.create(this.#key(rec.id), JSON.stringify(rec));
  }

  async get(id: string): Promise<ClaimRecord | undefined> {
    const e = await this.kv.get(this.#key(id));
    return e === null || !isPut(e) ? undefined : (e.json() as ClaimRecord);
  }

  async list(): Promise<ClaimRecord[]> {
    const all = (await scanKv(this.kv, 'claim.>', this.timeoutMs)).map((e) => e.json() as ClaimRecord);
    return all.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1));
  }

  async revoke(id: string): Promise<boolean> {
    return (await compareAndSet<ClaimRecord, true>(this.kv, this.#key(id), (cur) => (cur === undefined ? undefined : { value: { ...cur, revoked: true }, result: true }))) ?? false;
  }

  async use(id: string, gateway: string, at: number): Promise<ClaimUse> {
    let refused: ClaimUse | undefined;
    const ok = await compareAndSet<ClaimRecord, ClaimUse>(this.kv, this.#key(id), (cur) => {
      const u = takeUse(cur, gateway, at);
      if (!u.ok) {
        refused = u;
        return undefined;
      }
      return { value: u.claim, result: u };
    });
    return ok ?? refused ?? { ok: false, reason: 'CLAIM_UNKNOWN' };
  }

  async release(id: string, gateway: string): Promise<void> {
    await compareAndSet<ClaimRecord, true>(this.kv, this.#key(id), (cur) => {
      const next = giveBack(cur, gateway);
      return next === undefined ? undefined : { value: next, result: true };
    });
  }
}
