import type Database from 'better-sqlite3';
import { next, OPEN, STATES, type TargetEvent, type TargetState } from './command-state.js';
import { openControlDb } from './control-db.js';
import { SqliteSinkPauses } from './sqlite-sink-pauses.js';
import { SqliteClaimStore, SqliteFleetStatusStore } from '../fleet/sqlite-fleet-store.js';
import { SqliteRegistrationStore } from '../fleet/sqlite-registration-store.js';
import type {
  CommandRecord,
  CommandStatus,
  CommandStore,
  ConfigDoc,
  ConfigHistoryEntry,
  ConfigReport,
  ConfigStatusRecord,
  ConfigStore,
  ControlStore,
  TargetDetail,
  TargetKey,
  TargetRow,
} from './control-store.js';

const OPEN_STATES = `(${OPEN.map((x) => `'${x}'`).join(', ')})`;

/** Commands in `control.db`: one row per command (its record as JSON) and one per target. */
export class SqliteCommandStore implements CommandStore {
  constructor(private readonly db: Database.Database) {}

  async create(rec: CommandRecord, targets: readonly TargetKey[], at: number): Promise<void> {
    const { db } = this;
    db.transaction(() => {
      db.prepare('INSERT INTO commands (id, doc, status, created_at) VALUES (?, ?, ?, ?)').run(rec.id, JSON.stringify(rec), rec.status, rec.createdAt);
      const ins = db.prepare('INSERT INTO command_targets (command_id, gateway, device, state, updated_at) VALUES (?, ?, ?, ?, ?)');
      for (const t of targets) ins.run(rec.id, t.gateway, t.device, 'QUEUED', at);
    })();
  }

  async get(id: string): Promise<CommandRecord | undefined> {
    const r = this.db.prepare('SELECT doc FROM commands WHERE id = ?').get(id) as { doc: string } | undefined;
    return r === undefined ? undefined : (JSON.parse(r.doc) as CommandRecord);
  }

  async list(limit: number): Promise<CommandRecord[]> {
    return (this.db.prepare('SELECT doc FROM commands ORDER BY created_at DESC LIMIT ?').all(limit) as Array<{ doc: string }>).map((r) => JSON.parse(r.doc) as CommandRecord);
  }

  async running(): Promise<CommandRecord[]> {
    return (this.db.prepare("SELECT doc FROM commands WHERE status = 'RUNNING'").all() as Array<{ doc: string }>).map((r) => JSON.parse(r.doc) as CommandRecord);
  }

  async setStatus(id: string, status: Exclude<CommandStatus, 'RUNNING'>): Promise<boolean> {
    const { db } = this;
    return db.transaction(() => {
      const r = db.prepare("SELECT doc FROM commands WHERE id = ? AND status = 'RUNNING'").get(id) as { doc: string } | undefined;
      if (r === undefined) return false;
      const rec = { ...(JSON.parse(r.doc) as CommandRecord), status };
      db.prepare('UPDATE commands SET doc = ?, status = ? WHERE id = ?').run(JSON.stringify(rec), status, id);
      return true;
    })();
  }

  async transition(id: string, t: TargetKey, event: TargetEvent, detail: TargetDetail, at: number): Promise<TargetState | undefined> {
    const { db } = this;
    return db.transaction(() => {
      const row = db.prepare('SELECT state FROM command_targets WHERE command_id = ? AND gateway = ? AND device = ?').get(id, t.gateway, t.device) as { state: TargetState } | undefined;
      if (row === undefined) return undefined;
      const to = next(row.state, event);
      if (to === undefined) return undefined;
      db.prepare(
        "UPDATE command_targets SET state = ?, reason = COALESCE(?, reason), output = COALESCE(?, output), updated_at = ?, sent_at = CASE WHEN ? = 'SENT' THEN ? ELSE sent_at END WHERE command_id = ? AND gateway = ? AND device = ?",
      ).run(to, detail.reason ?? null, detail.output === undefined ? null : JSON.stringify(detail.output), at, to, at, id, t.gateway, t.device);
      return to;
    })();
  }

  async targets(id: string, state?: TargetState): Promise<TargetRow[]> {
    const rows = (state === undefined
      ? this.db.prepare(`${TARGET_COLS} WHERE command_id = ? ORDER BY gateway, device`).all(id)
      : this.db.prepare(`${TARGET_COLS} WHERE command_id = ? AND state = ? ORDER BY gateway, device`).all(id, state)) as StoredTargetRow[];
    return rows.map(toTargetRow);
  }

  async target(id: string, t: TargetKey): Promise<TargetRow | undefined> {
    const r = this.db.prepare(`${TARGET_COLS} WHERE command_id = ? AND gateway = ? AND device = ?`).get(id, t.gateway, t.device) as StoredTargetRow | undefined;
    return r === undefined ? undefined : toTargetRow(r);
  }

  async counts(id: string): Promise<Record<TargetState, number>> {
    const out = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<TargetState, number>;
    for (const r of this.db.prepare('SELECT state, COUNT(*) AS n FROM command_targets WHERE command_id = ? GROUP BY state').all(id) as Array<{ state: TargetState; n: number }>) out[r.state] = r.n;
    return out;
  }

  async hasOpen(id: string): Promise<boolean> {
    return this.db.prepare(`SELECT 1 FROM command_targets WHERE command_id = ? AND state IN ${OPEN_STATES} LIMIT 1`).get(id) !== undefined;
  }
}

/** Config documents, the version counter and per-gateway desired/reported versions in `control.db`. */
export class SqliteConfigStore implements ConfigStore {
  constructor(private readonly db: Database.Database) {}

  async nextVersion(): Promise<number> {
    const { db } = this;
    return db.transaction(() => {
      db.prepare("INSERT INTO counters (name, value) VALUES ('config_version', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1").run();
      return (db.prepare("SELECT value FROM counters WHERE name = 'config_version'").get() as { value: number }).value;
    })();
  }

  async putDoc(scope: string, entry: ConfigDoc, at: number): Promise<void> {
    const { db } = this;
    const doc = JSON.stringify(entry.doc);
    db.transaction(() => {
      db.prepare(
        'INSERT INTO config_docs (scope, version, doc, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(scope) DO UPDATE SET version = excluded.version, doc = excluded.doc, updated_at = excluded.updated_at WHERE excluded.version > config_docs.version',
      ).run(scope, entry.version, doc, at);
      db.prepare('INSERT OR IGNORE INTO config_history (version, scope, doc, at) VALUES (?, ?, ?, ?)').run(entry.version, scope, doc, at);
    })();
  }

  async history(limit: number): Promise<ConfigHistoryEntry[]> {
    const rows = this.db.prepare('SELECT version, scope, doc, at FROM config_history ORDER BY version DESC LIMIT ?').all(limit) as Array<{ version: number; scope: string; doc: string; at: number }>;
    return rows.map((r) => ({ version: r.version, scope: r.scope, doc: JSON.parse(r.doc) as Record<string, unknown>, at: r.at }));
  }

  async getDoc(scope: string): Promise<ConfigDoc | undefined> {
    const r = this.db.prepare('SELECT version, doc FROM config_docs WHERE scope = ?').get(scope) as { version: number; doc: string } | undefined;
    return r === undefined ? undefined : { version: r.version, doc: JSON.parse(r.doc) as Record<string, unknown> };
  }

  async setDesired(gateway: string, version: number): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO config_status (gateway, desired_version) VALUES (?, ?) ON CONFLICT(gateway) DO UPDATE SET desired_version = MAX(COALESCE(desired_version, 0), excluded.desired_version)',
      )
      .run(gateway, version);
  }

  async setReported(gateway: string, r: ConfigReport): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO config_status (gateway, reported_version, status, error, reported_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(gateway) DO UPDATE SET reported_version = excluded.reported_version, status = excluded.status, error = excluded.error, reported_at = excluded.reported_at`,
      )
      .run(gateway, r.version, r.status, r.error === undefined ? null : JSON.stringify(r.error), r.at);
  }

  async status(): Promise<ConfigStatusRecord[]> {
    const rows = this.db.prepare('SELECT gateway, desired_version, reported_version, status, error, reported_at FROM config_status ORDER BY gateway').all() as Array<{
      gateway: string;
      desired_version: number | null;
      reported_version: number | null;
      status: string | null;
      error: string | null;
      reported_at: number | null;
    }>;
    return rows.map((r) => ({
      gateway: r.gateway,
      ...(r.desired_version === null ? {} : { desiredVersion: r.desired_version }),
      ...(r.reported_version === null ? {} : { reportedVersion: r.reported_version }),
      ...(r.status === null ? {} : { status: r.status }),
      ...(r.error === null ? {} : { error: JSON.parse(r.error) as { key?: string; message: string } }),
      ...(r.reported_at === null ? {} : { reportedAt: r.reported_at }),
    }));
  }
}

/** The control store of a single node: `control.db` in the data directory, or in memory. */
export function openSqliteControlStore(file: string): ControlStore {
  const db = openControlDb(file);
  return {
    commands: new SqliteCommandStore(db),
    config: new SqliteConfigStore(db),
    fleet: new SqliteFleetStatusStore(db),
    claims: new SqliteClaimStore(db),
    sinks: new SqliteSinkPauses(db),
    registrations: new SqliteRegistrationStore(db),
    async close() {
      db.close();
    },
  };
}

const TARGET_COLS = 'SELECT gateway, device, state, reason, output, updated_at, sent_at FROM command_targets';

interface StoredTargetRow {
  gateway: string;
  device: string;
  state: TargetState;
  reason: string | null;
  output: string | null;
  updated_at: number;
  sent_at: number | null;
}

function toTargetRow(r: StoredTargetRow): TargetRow {
  return {
    gateway: r.gateway,
    device: r.device,
    state: r.state,
    updatedAt: r.updated_at,
    ...(r.reason === null ? {} : { reason: r.reason }),
    ...(r.output === null ? {} : { output: JSON.parse(r.output) as unknown }),
    ...(r.sent_at === null ? {} : { sentAt: r.sent_at }),
  };
}
