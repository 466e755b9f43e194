import type Database from 'better-sqlite3';
import { CausewayError } from '../errors/causeway-error.js';

/**
 * Numbered schema migrations of a SQLite file, one runner for every database Causeway keeps (the broker
 * store, the outbox, the command inbox, the control and registry databases; issue 14: five copies, three
 * of which did not refuse a newer schema). A shipped migration is never edited: a change is a new entry at
 * the end. `schema_version` holds one row per version applied (older files hold a single row with the
 * last version; both read the same: the highest).
 */
export interface Migration {
  version: number;
  /** SQL to run, or a function for what SQL alone cannot do */
  up: string | ((db: Database.Database) => void);
}

/** The schema version of `db` (0 for a new file). */
export function schemaVersion(db: Database.Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

export interface MigrateOptions {
  /** what the file is, for the error ("outbox", "command inbox") */
  what: string;
  /** apply up to this version only (tests of an upgrade); default: all */
  target?: number;
  /** the error to throw for a file written by a newer build; default SCHEMA_TOO_NEW */
  tooNew?: (current: number, latest: number) => Error;
}

/**
 * Applies the missing migrations, each in its own transaction with its version row, and returns the
 * versions applied. A file from a newer build is refused, never guessed at: its rows may mean something
 * this build does not know, and a downgrade must fail loudly rather than lose data.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[], o: MigrateOptions): number[] {
  const current = schemaVersion(db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw o.tooNew?.(current, latest) ?? new CausewayError('SCHEMA_TOO_NEW', `${o.what} schema version ${current} is newer than this build knows (${latest}); was it written by a newer Causeway?`);
  }
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= current || (o.target !== undefined && m.version > o.target)) continue;
    db.transaction(() => {
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(m.version);
    })();
    applied.push(m.version);
  }
  return applied;
}

/** Numbers a list of SQL migrations 1, 2, 3, … (the databases whose migrations were a plain list). */
export const numbered = (sql: readonly string[]): Migration[] => sql.map((up, i) => ({ version: i + 1, up }));
