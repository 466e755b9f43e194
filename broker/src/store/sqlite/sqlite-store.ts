import { join } from 'node:path';
import type { BrokerStore } from '../contract.js';
import { StoreError } from '../store-error.js';
import { GroupCommit } from './group-commit.js';
import { MessageCache } from './message-cache.js';
import { openDatabase } from './open-database.js';
import { QueueTails } from './queue-tails.js';
import { SqliteLog } from './sqlite-log.js';
import { SqliteOffsets } from './sqlite-offsets.js';
import { SqliteRetained } from './sqlite-retained.js';
import { SqliteSessions } from './sqlite-sessions.js';

export const SQLITE_FILE_NAME = 'causeway-cloud.db';

export interface SqliteStoreOptions {
  /** data directory; the database is `${dir}/causeway-cloud.db` */
  dir: string;
  /** most writes per group-commit transaction (default 1000) */
  maxBatch?: number;
  /**
   * hot-message cache bounds, which the in-memory queue tails share. `cacheMaxBytes` (default 64 MiB) is
   * the memory budget: each message is charged its payload, its topic and CACHE_ENTRY_OVERHEAD bytes (its
   * objects, measured ~380 bytes on Node 20, plus the cache's and tails' entries), so with 64-byte payloads
   * ~110,000 messages fit and a subscriber that far behind is served from memory (issue 15).
   * `cacheMaxMessages` (default 250,000) is only a backstop for tiny messages.
   */
  cacheMaxMessages?: number;
  cacheMaxBytes?: number;
  /** called after each COMMIT with the number of writes it held */
  onCommit?: (writes: number) => void;
}

/** The SQLite BrokerStore, with a view of its internals for metrics and tests. */
export interface SqliteBrokerStore extends BrokerStore {
  readonly file: string;
  readonly cache: MessageCache;
}

const DEFAULTS = Object.freeze({ maxBatch: 1000, cacheMaxMessages: 250_000, cacheMaxBytes: 64 * 1024 * 1024 });
/** bytes a cached message is charged beyond its payload and topic (see SqliteStoreOptions) */
const CACHE_ENTRY_OVERHEAD = 512;

/**
 * Opens the embedded default backend: one SQLite file in a data directory, migrated to the latest
 * schema, writes group-committed.
 *
 * @example
 * const store = openSqliteStore({ dir: '/var/lib/causeway' });
 * await store.log.append(msg, queues); // resolves after the COMMIT holding it
 */
export function openSqliteStore(options: SqliteStoreOptions): SqliteBrokerStore {
  const o = { ...DEFAULTS, ...options };
  if (!Number.isSafeInteger(o.maxBatch) || o.maxBatch < 1) {
    throw new StoreError('STORE_INVALID', `maxBatch must be a positive integer, got ${String(o.maxBatch)}`);
  }
  const file = join(o.dir, SQLITE_FILE_NAME);
  const db = openDatabase(file);
  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new StoreError('STORE_CLOSED', `sqlite store ${file} is closed`);
  };
  const commit = new GroupCommit(db, options.onCommit === undefined ? { maxBatch: o.maxBatch } : { maxBatch: o.maxBatch, onCommit: options.onCommit });
  const bounds = { maxMessages: o.cacheMaxMessages, maxBytes: o.cacheMaxBytes, entryOverhead: CACHE_ENTRY_OVERHEAD };
  const cache = new MessageCache(bounds);
  // The tails keep recent messages readable under the same bounds as the cache (they share the objects).
  const tails = new QueueTails(bounds);
  const log = new SqliteLog(db, commit, cache, tails, assertOpen);
  return {
    file,
    cache,
    log,
    offsets: new SqliteOffsets(db, commit, assertOpen),
    retained: new SqliteRetained(db, commit, log, assertOpen),
    sessions: new SqliteSessions(db, commit, assertOpen),
    async close() {
      if (closed) return;
      closed = true;
      // Writes already accepted are committed, not dropped: their callers are waiting to acknowledge.
      commit.flush();
      db.close();
    },
  };
}
