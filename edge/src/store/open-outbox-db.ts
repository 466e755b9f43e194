import { existsSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { CausewayError, ensurePrivateDir, privateDbFile } from '@causeway/shared';
import { migrate } from './outbox-migrations.js';

export interface Quarantine {
  /** where the damaged file went */
  movedTo: string;
  reason: string;
}

const CORRUPTION_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_VTAB', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_CORRUPT_INDEX']);

class CorruptDatabase extends Error {}

/** Does this error mean the file itself is damaged (as opposed to full, locked or unreadable)? */
export function isCorruption(err: unknown): boolean {
  if (err instanceof CorruptDatabase) return true;
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && CORRUPTION_CODES.has(code);
}

/**
 * Opens the outbox file with the durability settings, checks it and brings the schema up to date.
 *
 * Durability: WAL with `synchronous=FULL`, so every COMMIT fsyncs the WAL before it returns. The add
 * promises resolve (and a source may acknowledge a device) only after that COMMIT, so a power cut can
 * never take back what was acknowledged. NORMAL would be consistent but could lose the last commits
 * on power loss. Group commit (one transaction per tick) is what pays for the fsync.
 */
function openAndCheck(path: string): Database.Database {
  const db = new Database(privateDbFile(path));
  try {
    // 1 KiB pages (new files only): a small commit rewrites whole pages in the WAL and again at the
    // checkpoint, so smaller pages halve the bytes written per reading (bench/outbox-ingest.ts), which
    // is what wears an SD card. Rows are ~100 bytes, so nothing needs bigger pages.
    db.pragma('page_size = 1024');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // Checkpoint every 4,000 WAL pages (4 MiB at 1 KiB pages), not SQLite's 1,000: a page the commits
    // touch again and again (the tail of the table and of each index) is copied to the file once per
    // checkpoint, so fewer checkpoints write fewer bytes (565 → 500 per reading at 50,000 durable adds,
    // issue 16). Durability is the COMMIT's fsync of the WAL; the checkpoint changes nothing there.
    db.pragma('wal_autocheckpoint = 4000');
    db.pragma('busy_timeout = 5000');
    // quick_check reads every page: a truncated or overwritten file fails here, not at 3 a.m. mid-send.
    const rows = db.pragma('quick_check') as Array<{ quick_check: string }>;
    if (rows.length !== 1 || rows[0]?.quick_check !== 'ok') {
      throw new CorruptDatabase(`quick_check: ${rows.slice(0, 3).map((r) => r.quick_check).join('; ')}`);
    }
    migrate(db);
    // A file whose schema_version says migrated but whose tables are gone is damaged too.
    db.prepare('SELECT count(*) FROM records').get();
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Opens (creating if needed) the outbox database. A damaged file is moved aside to
 * `<path>.corrupt-<ts>` (with its -wal/-shm) and a fresh database is started, so the agent never
 * crash-loops on a bad file; the caller reports the quarantine as an event. Other failures (no
 * permission, disk full) are IO errors: moving a good file aside for those would lose data.
 */
export function openOutboxDb(path: string, now: () => number = Date.now): { db: Database.Database; quarantine?: Quarantine } {
  ensurePrivateDir(dirname(path));
  try {
    return { db: openAndCheck(path) };
  } catch (err) {
    if (!isCorruption(err)) {
      if (err instanceof CausewayError) throw err;
      throw new CausewayError('IO_OUTBOX_OPEN', `cannot open outbox ${path}: ${(err as Error).message}`, { cause: err });
    }
    const movedTo = `${path}.corrupt-${now()}`;
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(path + suffix)) renameSync(path + suffix, movedTo + suffix);
    }
    const reason = (err as Error).message;
    try {
      return { db: openAndCheck(path), quarantine: { movedTo, reason } };
    } catch (err2) {
      throw new CausewayError('IO_OUTBOX_OPEN', `cannot create a fresh outbox ${path} after quarantine: ${(err2 as Error).message}`, { cause: err2 });
    }
  }
}
