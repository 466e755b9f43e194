import Database from 'better-sqlite3';
import { privateDbFile, migrate, numbered } from '@causeway/shared';

/**
 * The cloud's control-plane database (`control.db` in the data directory): commands, their per-device
 * targets, and desired/reported config. Numbered migrations; never edit a shipped one.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE commands (
     id TEXT PRIMARY KEY,
     doc TEXT NOT NULL,
     status TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE command_targets (
     command_id TEXT NOT NULL REFERENCES commands(id),
     gateway TEXT NOT NULL,
     device TEXT NOT NULL,
     state TEXT NOT NULL,
     reason TEXT,
     output TEXT,
     updated_at INTEGER NOT NULL,
     sent_at INTEGER,
     PRIMARY KEY (command_id, gateway, device)
   );
   CREATE INDEX command_targets_state ON command_targets(state);
   CREATE TABLE config_docs (
     scope TEXT PRIMARY KEY,
     version INTEGER NOT NULL,
     doc TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE config_status (
     gateway TEXT PRIMARY KEY,
     desired_version INTEGER,
     reported_version INTEGER,
     status TEXT,
     error TEXT,
     reported_at INTEGER
   );
   CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);`,
  // 2: "is anything of this command still open?" and counts by state in one index seek per result,
  // not a scan of every target (a 2,000-gateway broadcast took 37 s to settle without it).
  `CREATE INDEX command_targets_command_state ON command_targets(command_id, state);`,
  // 3: every accepted config document by version, for `causeway config history` and `config diff` (issue 24).
  `CREATE TABLE config_history (
     version INTEGER PRIMARY KEY,
     scope TEXT NOT NULL,
     doc TEXT NOT NULL,
     at INTEGER NOT NULL
   );
   INSERT INTO config_history (version, scope, doc, at) SELECT version, scope, doc, updated_at FROM config_docs;`,
  // 4: fleet operations (issue 20): the latest status of each gateway, and claim tokens.
  `CREATE TABLE gateway_status (gateway TEXT PRIMARY KEY, doc TEXT NOT NULL);
   CREATE TABLE claims (id TEXT PRIMARY KEY, doc TEXT NOT NULL, created_at INTEGER NOT NULL);`,
  // 5: a sink paused or resumed by an operator stays so across a restart (issue 21).
  `CREATE TABLE sink_pauses (sink TEXT PRIMARY KEY, paused INTEGER NOT NULL, at INTEGER NOT NULL);`,
  // 6: the approval queue of claims (issue 20): one registration request per gateway id.
  `CREATE TABLE registrations (gateway TEXT PRIMARY KEY, claim_id TEXT NOT NULL, state TEXT NOT NULL, requested_at INTEGER NOT NULL, doc TEXT NOT NULL);
   CREATE INDEX registrations_state ON registrations(state, requested_at);
   CREATE INDEX registrations_claim ON registrations(claim_id, state);`,
];

export function openControlDb(file: string): Database.Database {
  const db = new Database(privateDbFile(file));
  db.pragma('journal_mode = WAL');
  // Operator actions are acknowledged with HTTP 2xx: durable before the answer.
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrate(db, numbered(MIGRATIONS), { what: 'control database' });
  return db;
}
