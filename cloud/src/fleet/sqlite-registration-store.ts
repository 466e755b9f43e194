import type Database from 'better-sqlite3';
import { decided, type RegistrationRecord, type RegistrationState, type RegistrationStore } from './registration-store.js';

/** Registration requests in `control.db` (table registrations, migration 5): one row per gateway, its record as JSON. */
export class SqliteRegistrationStore implements RegistrationStore {
  constructor(private readonly db: Database.Database) {}

  async create(rec: RegistrationRecord): Promise<boolean> {
    const r = this.db.prepare('INSERT OR IGNORE INTO registrations (gateway, claim_id, state, requested_at, doc) VALUES (?, ?, ?, ?, ?)').run(rec.gateway, rec.claimId, rec.state, rec.requestedAt, JSON.stringify(rec));
    return r.changes === 1;
  }

  async get(gateway: string): Promise<RegistrationRecord | undefined> {
    const r = this.db.prepare('SELECT doc FROM registrations WHERE gateway = ?').get(gateway) as { doc: string } | undefined;
    return r === undefined ? undefined : (JSON.parse(r.doc) as RegistrationRecord);
  }

  async list(state?: RegistrationState): Promise<RegistrationRecord[]> {
    const rows = (state === undefined
      ? this.db.prepare('SELECT doc FROM registrations ORDER BY requested_at, gateway').all()
      : this.db.prepare('SELECT doc FROM registrations WHERE state = ? ORDER BY requested_at, gateway').all(state)) as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as RegistrationRecord);
  }

  #put(rec: RegistrationRecord): void {
    this.db.prepare('UPDATE registrations SET state = ?, doc = ? WHERE gateway = ?').run(rec.state, JSON.stringify(rec), rec.gateway);
  }

  async decide(gateway: string, from: readonly RegistrationState[], to: RegistrationState, at: number, reason?: string): Promise<RegistrationRecord | undefined> {
    return this.db.transaction(() => {
      const r = this.db.prepare('SELECT doc FROM registrations WHERE gateway = ?').get(gateway) as { doc: string } | undefined;
      const next = decided(r === undefined ? undefined : (JSON.parse(r.doc) as RegistrationRecord), from, to, at, reason);
      if (next !== undefined) this.#put(next);
      return next;
    })();
  }

  async rejectPendingOf(claimId: string, reason: string, at: number): Promise<number> {
    return this.db.transaction(() => {
      const rows = this.db.prepare("SELECT doc FROM registrations WHERE claim_id = ? AND state = 'pending'").all(claimId) as Array<{ doc: string }>;
      for (const r of rows) this.#put(decided(JSON.parse(r.doc) as RegistrationRecord, ['pending'], 'rejected', at, reason)!);
      return rows.length;
    })();
  }
}
