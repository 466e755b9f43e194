import Database from 'better-sqlite3';
import { StoreError } from '../store-error.js';
import { migrate } from './migrations.js';
import { privateDbFile } from '@causeway/shared';

/**
 * Opens (creating if needed) the store's database file with the settings the acknowledge-after-commit
 * promise depends on:
 * - WAL: readers never block the writer, and a commit is one sequential append to the WAL.
 * - synchronous=FULL: the WAL is fsynced at every COMMIT, so a transaction whose commit returned survives
 *   power loss, not only a process crash. NORMAL would only sync at checkpoints and could lose the last
 *   acknowledged batches on power cut; group commit makes FULL affordable (one fsync per batch).
 * - busy_timeout: a CLI reading the same file (causeway stats) waits instead of failing with SQLITE_BUSY.
 * - foreign_keys: retained rows must point at a stored message.
 */
export function openDatabase(file: string, options: { migrateTo?: number } = {}): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(privateDbFile(file));
  } catch (err) {
    throw new StoreError('STORE_IO', `cannot open store database ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    migrate(db, options.migrateTo);
    return db;
  } catch (err) {
    db.close();
    if (err instanceof StoreError) throw err;
    throw new StoreError('STORE_IO', `cannot prepare store database ${file}: ${(err as Error).message}`, { cause: err });
  }
}
