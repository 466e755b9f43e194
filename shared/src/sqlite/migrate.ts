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
  /**
   * True when a build that stops at the version before this one can still read and write the file
   * after it (new tables, new columns with defaults; nothing renamed, dropped or re-meant). Such a
   * migration leaves the file's floor where it was, so a rolled-back agent release keeps its outbox
   * and inbox (issue 17). Absent: breaking, the floor rises to this version. Never set it on a shipped
   * migration after the fact.
   */
  additive?: true;
}

/**
 * The oldest schema version whose build may open `db`: kept in `schema_floor`. A file from before the
 * floor was kept has none, and counts as its own version (nothing known about its migrations).
 */
export function schemaFloor(db: Database.Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_floor (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT max(version) AS v FROM schema_floor').get() as { v: number | null };
  return row.v ?? schemaVersion(db);
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
  /** the error to throw for a file written by a newer build it cannot open; default SCHEMA_TOO_NEW */
  tooNew?: (current: number, latest: number) => Error;
  /** told when the file is newer but its floor lets this build open it (a rolled-back release) */
  onNewer?: (current: number, latest: number, floor: number) => void;
}

/**
 * Applies the missing migrations, each in its own transaction with its version row, and returns the
 * versions applied. A file from a newer build is opened untouched only when its floor (the newest
 * breaking migration it has) is one this build knows: the newer migrations were all additive. Otherwise
 * it is refused, never guessed at: its rows may mean something this build does not know, and a
 * downgrade must fail loudly (exit 65) rather than lose data.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[], o: MigrateOptions): number[] {
  const current = schemaVersion(db);
  const floor = schemaFloor(db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    if (floor <= latest) {
      o.onNewer?.(current, latest, floor);
      return [];
    }
    throw o.tooNew?.(current, latest) ?? new CausewayError('SCHEMA_TOO_NEW', `${o.what} schema version ${current} is newer than this build knows (${latest}) and needs a build of version ${floor} or later; was it written by a newer Causeway?`);
  }
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= current || (o.target !== undefined && m.version > o.target)) continue;
    db.transaction(() => {
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      // The floor before this version's row: a file from before the floor was kept counts as its own version.
      const f = m.additive === true ? schemaFloor(db) : m.version;
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(m.version);
      db.prepare('DELETE FROM schema_floor').run();
      db.prepare('INSERT INTO schema_floor (version) VALUES (?)').run(f);
    })();
    applied.push(m.version);
  }
  return applied;
}

/** Numbers a list of SQL migrations 1, 2, 3, … (the databases whose migrations were a plain list). */
export const numbered = (sql: readonly string[]): Migration[] => sql.map((up, i) => ({ version: i + 1, up }));
