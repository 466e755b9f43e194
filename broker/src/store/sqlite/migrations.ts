import type Database from 'better-sqlite3';
import { migrate as runMigrations, schemaVersion } from '@causeway/shared';
import { StoreError } from '../store-error.js';

/**
 * Numbered schema migrations of the cloud store. A shipped migration is never edited: a change is a new
 * entry at the end. Each runs in its own transaction together with the bump of `schema_version`, so a
 * crash mid-migration leaves the file at the previous version.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'store-once log, queue index, dedupe, offsets, retained, sessions',
    sql: `
      -- Each message once (Mosquitto's base_msgs; RocketMQ-MQTT's commit log). AUTOINCREMENT keeps the
      -- id high-water mark in sqlite_sequence, so ids are never reused even after retention emptied the log.
      CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        topic TEXT NOT NULL,
        payload BLOB NOT NULL,
        qos INTEGER NOT NULL,
        retain INTEGER NOT NULL,
        properties TEXT NOT NULL,
        meta TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER
      );
      -- Queue names interned once; next_offset survives retention so offsets are never reused.
      CREATE TABLE queues (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        next_offset INTEGER NOT NULL
      );
      -- The light-queue index: an entry points at the one stored message, never a payload copy.
      CREATE TABLE queue_entries (
        queue_id INTEGER NOT NULL,
        offset INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        PRIMARY KEY (queue_id, offset)
      ) WITHOUT ROWID;
      CREATE INDEX queue_entries_by_message ON queue_entries (message_id);
      CREATE TABLE dedupe (
        key TEXT PRIMARY KEY,
        message_id INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE offsets (
        consumer TEXT NOT NULL,
        queue TEXT NOT NULL,
        offset INTEGER NOT NULL,
        PRIMARY KEY (consumer, queue)
      ) WITHOUT ROWID;
      CREATE TABLE retained (
        topic TEXT PRIMARY KEY,
        message_id INTEGER NOT NULL REFERENCES messages (id)
      ) WITHOUT ROWID;
      CREATE INDEX retained_by_message ON retained (message_id);
      CREATE TABLE sessions (
        client_id TEXT PRIMARY KEY,
        state TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description: 'indexes for retention: by age, by expiry, dedupe keys by message',
    sql: `
      CREATE INDEX messages_by_created ON messages (created_at);
      CREATE INDEX messages_by_expiry ON messages (expires_at) WHERE expires_at IS NOT NULL;
      CREATE INDEX dedupe_by_message ON dedupe (message_id);
    `,
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export { schemaVersion };

/**
 * Brings the database to `target` (default: latest) and returns the versions applied. Refuses a file from
 * a newer Causeway rather than guess at a schema it does not know.
 */
export function migrate(db: Database.Database, target: number = LATEST_VERSION): number[] {
  return runMigrations(
    db,
    MIGRATIONS.map((m) => ({ version: m.version, up: m.sql })),
    {
      what: 'store',
      target,
      tooNew: (current, latest) => new StoreError('STORE_SCHEMA', `database schema_version ${current} is newer than this build supports (${latest})`),
    },
  );
}
