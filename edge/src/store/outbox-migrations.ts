import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { CausewayError, migrate as runMigrations, type Migration } from '@causeway/shared';

/**
 * Numbered migrations of the outbox schema. A shipped migration is never edited: a change is a new
 * entry at the end. `schema_version` holds the number of the last one applied.
 */
export type { Migration };

export const OUTBOX_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up(db) {
      db.exec(`
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
        -- AUTOINCREMENT, not plain rowid: ids are never reused after deletes, so a batch id
        -- (epoch-firstId) can never name two different sets of readings in the cloud's dedupe.
        CREATE TABLE records (
          id        INTEGER PRIMARY KEY AUTOINCREMENT,
          kind      TEXT    NOT NULL CHECK (kind IN ('reading', 'event')),
          topic     TEXT    NOT NULL,
          device    TEXT    NOT NULL,
          stream    TEXT    NOT NULL, -- the stream of a reading, the event type of an event
          body      BLOB    NOT NULL, -- CBOR, see record-codec.ts
          bytes     INTEGER NOT NULL, -- accounted size against buffer.maxBytes
          priority  INTEGER NOT NULL, -- 0 alarm, 1 telemetry, 2 bulk
          created   INTEGER NOT NULL, -- ms since the epoch
          expires   INTEGER NOT NULL, -- ms since the epoch
          attempts  INTEGER NOT NULL DEFAULT 0,
          batch_id  TEXT              -- NULL until the row is put in a batch; then immutable
        ) STRICT;
        CREATE INDEX records_unsent ON records (priority, id) WHERE batch_id IS NULL;
        CREATE INDEX records_unsent_topic ON records (topic, priority, id) WHERE batch_id IS NULL;
        CREATE INDEX records_batch ON records (batch_id) WHERE batch_id IS NOT NULL;
        CREATE INDEX records_expires ON records (expires);
        CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
      `);
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('epoch', randomBytes(6).toString('hex'));
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('created', String(Date.now()));
    },
  },
  {
    // Command results and config reports travel through the outbox too (edge/src/commands/contract.ts
    // ResultSink): kind 'envelope' holds a whole envelope. SQLite cannot change a CHECK in place, so
    // the table is rebuilt, keeping every row and the AUTOINCREMENT high-water mark.
    version: 2,
    up(db) {
      const seq = (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'records'").get() as { seq: number } | undefined)?.seq ?? 0;
      db.exec(`
        CREATE TABLE records_v2 (
          id        INTEGER PRIMARY KEY AUTOINCREMENT,
          kind      TEXT    NOT NULL CHECK (kind IN ('reading', 'event', 'envelope')),
          topic     TEXT    NOT NULL,
          device    TEXT    NOT NULL,
          stream    TEXT    NOT NULL, -- stream of a reading, event type of an event, envelope type
          body      BLOB    NOT NULL,
          bytes     INTEGER NOT NULL,
          priority  INTEGER NOT NULL,
          created   INTEGER NOT NULL,
          expires   INTEGER NOT NULL,
          attempts  INTEGER NOT NULL DEFAULT 0,
          batch_id  TEXT
        ) STRICT;
        INSERT INTO records_v2 SELECT * FROM records;
        DROP TABLE records;
        ALTER TABLE records_v2 RENAME TO records;
        CREATE INDEX records_unsent ON records (priority, id) WHERE batch_id IS NULL;
        CREATE INDEX records_unsent_topic ON records (topic, priority, id) WHERE batch_id IS NULL;
        CREATE INDEX records_batch ON records (batch_id) WHERE batch_id IS NOT NULL;
        CREATE INDEX records_expires ON records (expires);
      `);
      const now = (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'records'").get() as { seq: number } | undefined)?.seq;
      if (now === undefined) db.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('records', ?)").run(seq);
      else db.prepare("UPDATE sqlite_sequence SET seq = ? WHERE name = 'records'").run(Math.max(now, seq));
    },
  },
  {
    // Issue 23 item 5: a batch the broker refuses (too large for it, or poison) is moved here out of
    // the way of the queue, kept for the operator to inspect, and reported to the cloud as an event.
    version: 3,
    up(db) {
      db.exec(`
        CREATE TABLE quarantine (
          id          INTEGER PRIMARY KEY, -- the row's outbox id (its reading seq)
          batch_id    TEXT    NOT NULL,
          kind        TEXT    NOT NULL,
          topic       TEXT    NOT NULL,
          device      TEXT    NOT NULL,
          stream      TEXT    NOT NULL,
          body        BLOB    NOT NULL,
          bytes       INTEGER NOT NULL,
          priority    INTEGER NOT NULL,
          created     INTEGER NOT NULL,
          quarantined INTEGER NOT NULL, -- ms since the epoch
          reason      TEXT    NOT NULL
        ) STRICT;
        CREATE INDEX quarantine_at ON quarantine (quarantined);
      `);
    },
  },
];

/** Applies the missing migrations, each in its own transaction. Returns the resulting version. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = OUTBOX_MIGRATIONS): number {
  runMigrations(db, migrations, {
    what: 'outbox',
    // A newer agent wrote this file; refusing beats guessing (and beats quarantining good data).
    tooNew: (current, latest) => new CausewayError('IO_SCHEMA_TOO_NEW', `outbox schema version ${current} is newer than this agent knows (${latest}) and not readable by it; start a newer release (docs/operations.md, "Schema versions across an update")`),
  });
  return migrations.at(-1)?.version ?? 0;
}
