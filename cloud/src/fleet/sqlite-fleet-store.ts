import type Database from 'better-sqlite3';
import { type ClaimRecord, type ClaimStore, type ClaimUse, type FleetStatusStore, type GatewayStatusRecord, giveBack, mergeStatus, takeUse } from './fleet-store.js';

/** Gateway statuses in `control.db` (table gateway_status, migration 4): one row per gateway, its record as JSON. */
export class SqliteFleetStatusStore implements FleetStatusStore {
  constructor(private readonly db: Database.Database) {}

  async putStatuses(recs: readonly GatewayStatusRecord[]): Promise<void> {
    const { db } = this;
    const get = db.prepare('SELECT doc FROM gateway_status WHERE gateway = ?');
    const put = db.prepare('INSERT OR REPLACE INTO gateway_status (gateway, doc) VALUES (?, ?)');
    db.transaction(() => {
      for (const rec of recs) {
        const row = get.get(rec.gateway) as { doc: string } | undefined;
        const next = mergeStatus(row === undefined ? undefined : (JSON.parse(row.doc) as GatewayStatusRecord), rec);
        if (next !== undefined) put.run(rec.gateway, JSON.stringify(next));
      }
    })();
  }

  async statuses(): Promise<GatewayStatusRecord[]> {
    return (this.db.prepare('SELECT doc FROM gateway_status ORDER BY gateway').all() as Array<{ doc: string }>).map((r) => JSON.parse(r.doc) as GatewayStatusRecord);
  }
}

/** Claim tokens in `control.db` (table claims, migration 4). */
export class SqliteClaimStore implements ClaimStore {
  constructor(private readonly db: Database.Database) {}

  async create(rec: ClaimRecord): Promise<void> {
    this.db.prepare('INSERT INTO claims (id, doc, created_at) VALUES (?, ?, ?)').run(rec.id, JSON.stringify(rec), rec.createdAt);
  }

  async get(id: string): Promise<ClaimRecord | undefined> {
    const r = this.db.prepare('SELECT doc FROM claims WHERE id = ?').get(id) as { doc: string } | undefined;
    return r === undefined ? undefined : (JSON.parse(r.doc) as ClaimRecord);
  }

  async list(): Promise<ClaimRecord[]> {
    return (this.db.prepare('SELECT doc FROM claims ORDER BY created_at DESC, id').all() as Array<{ doc: string }>).map((r) => JSON.parse(r.doc) as ClaimRecord);
  }

  #change<R>(id: string, f: (cur: ClaimRecord | undefined) => { next?: ClaimRecord; result: R }): R {
    const { db } = this;
    return db.transaction(() => {
      const r = db.prepare('SELECT doc FROM claims WHERE id = ?').get(id) as { doc: string } | undefined;
      const out = f(r === undefined ? undefined : (JSON.parse(r.doc) as ClaimRecord));
      if (out.next !== undefined) db.prepare('UPDATE claims SET doc = ? WHERE id = ?').run(JSON.stringify(out.next), id);
      return out.result;
    })();
  }

  async revoke(id: string): Promise<boolean> {
    return this.#change(id, (cur) => (cur === undefined ? { result: false } : { next: { ...cur, revoked: true }, result: true }));
  }

  async use(id: string, gateway: string, at: number): Promise<ClaimUse> {
    return this.#change<ClaimUse>(id, (cur) => {
      const u = takeUse(cur, gateway, at);
      return u.ok ? { next: u.claim, result: u } : { result: u };
    });
  }

  async release(id: string, gateway: string): Promise<void> {
    this.#change(id, (cur) => {
      const next = giveBack(cur, gateway);
      return next === undefined ? { result: undefined } : { next, result: undefined };
    });
  }
}
