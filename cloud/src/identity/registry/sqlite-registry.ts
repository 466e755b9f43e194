import Database from 'better-sqlite3';
import { CausewayError, privateDbFile, migrate, numbered } from '@causeway/shared';
import { applyPatch, matchesQuery, type DeviceRegistry, type RegistryEntry, type RegistryQuery } from './contract.js';

/**
 * The registry in SQLite (`registry.db` in the cloud's data directory). Entries are small and read on
 * every CONNECT by id, so one row per principal with the mutable presence columns apart from the JSON
 * document keeps markSeen a single-row UPDATE.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE principals (
     id TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     doc TEXT NOT NULL,
     online INTEGER NOT NULL DEFAULT 0,
     last_seen_at INTEGER
   );
   CREATE INDEX principals_kind ON principals(kind);`,
];

type Row = { id: string; doc: string; online: number; last_seen_at: number | null };

export class SqliteRegistry implements DeviceRegistry {
  readonly #db: Database.Database;

  constructor(file: string) {
    this.#db = new Database(privateDbFile(file));
    this.#db.pragma('journal_mode = WAL');
    // Registry writes are operator actions, rare and acknowledged by an HTTP 2xx: make them durable.
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('busy_timeout = 5000');
    this.#migrate();
  }

  #migrate(): void {
    migrate(this.#db, numbered(MIGRATIONS), { what: 'device registry' });
  }

  #toEntry(r: Row): RegistryEntry {
    const e = JSON.parse(r.doc) as RegistryEntry;
    e.online = r.online === 1;
    if (r.last_seen_at !== null) e.lastSeenAt = r.last_seen_at;
    return e;
  }

  async create(entry: RegistryEntry): Promise<void> {
    this.#insert(entry);
  }

  async createMany(entries: readonly RegistryEntry[]): Promise<void> {
    // One transaction: every entry or none (a thrown REGISTRY_EXISTS rolls the others back).
    this.#db.transaction(() => {
      for (const e of entries) this.#insert(e);
    })();
  }

  #insert(entry: RegistryEntry): void {
    const { online, lastSeenAt, ...doc } = entry;
    try {
      this.#db
        .prepare('INSERT INTO principals (id, kind, doc, online, last_seen_at) VALUES (?, ?, ?, ?, ?)')
        .run(entry.id, entry.kind, JSON.stringify(doc), online ? 1 : 0, lastSeenAt ?? null);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new CausewayError('REGISTRY_EXISTS', `${entry.kind} ${entry.id} already exists`, { cause: err });
      }
      throw err;
    }
  }

  async get(id: string): Promise<RegistryEntry | undefined> {
    const r = this.#db.prepare('SELECT id, doc, online, last_seen_at FROM principals WHERE id = ?').get(id) as Row | undefined;
    return r === undefined ? undefined : this.#toEntry(r);
  }

  async list(query: RegistryQuery = {}): Promise<RegistryEntry[]> {
    const rows = (query.kind === undefined
      ? this.#db.prepare('SELECT id, doc, online, last_seen_at FROM principals ORDER BY id').all()
      : this.#db.prepare('SELECT id, doc, online, last_seen_at FROM principals WHERE kind = ? ORDER BY id').all(query.kind)) as Row[];
    return rows.map((r) => this.#toEntry(r)).filter((e) => matchesQuery(e, query));
  }

  async update(id: string, patch: Partial<Omit<RegistryEntry, 'id' | 'createdAt'>>): Promise<RegistryEntry> {
    const cur = await this.get(id);
    if (cur === undefined) throw new CausewayError('REGISTRY_NOT_FOUND', `no gateway, device or app with id ${id}`);
    const next = applyPatch(cur, patch);
    const { online, lastSeenAt, ...doc } = next;
    this.#db
      .prepare('UPDATE principals SET kind = ?, doc = ?, online = ?, last_seen_at = ? WHERE id = ?')
      .run(next.kind, JSON.stringify(doc), online ? 1 : 0, lastSeenAt ?? null, id);
    return next;
  }

  async delete(id: string): Promise<boolean> {
    return this.#db.prepare('DELETE FROM principals WHERE id = ?').run(id).changes > 0;
  }

  async markSeen(id: string, online: boolean, at: number): Promise<void> {
    this.#db.prepare('UPDATE principals SET online = ?, last_seen_at = ? WHERE id = ?').run(online ? 1 : 0, at, id);
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
