import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Files that hold secrets or gateway data — SQLite databases (the registry's scrypt hashes, control
 * state, outbox, command inbox, the store), their directories and generated secrets — are created
 * owner-only whatever the umask: under the usual 022 they were 0644, readable by every local user
 * (issue 23 item 14).
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Creates `dir` (and missing parents) with mode 0700. A directory that already exists keeps its mode:
 * it may be the operator's (`.`, /tmp, a shared mount), and only what we create is ours to restrict.
 */
export function ensurePrivateDir(dir: string): void {
  if (existsSync(dir)) return;
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(dir, PRIVATE_DIR_MODE); // the umask could only have removed bits; this states the mode
}

/**
 * Makes `file` a 0600 file before SQLite opens it, and returns it (`new Database(privateDbFile(f))`).
 * SQLite creates the `-wal` and `-shm` files with the mode of the database file, so they follow; ones
 * left by an older version are restricted too. The directory is created 0700 if missing. `:memory:` and
 * '' (SQLite's in-memory and temporary databases) are returned untouched.
 */
export function privateDbFile(file: string): string {
  if (file === '' || file === ':memory:' || file.startsWith('file:')) return file;
  ensurePrivateDir(dirname(file));
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(file + suffix)) restrict(file + suffix);
  }
  return file;
}

/** chmod 0600; a file another user owns (EPERM: e.g. the service's file opened by root's CLI) is left as it is. */
function restrict(file: string): void {
  try {
    chmodSync(file, PRIVATE_FILE_MODE);
  } catch (err) {
    if ((err as { code?: string }).code !== 'EPERM') throw err;
  }
}

/**
 * Writes `text` to `file` whole or not at all, owner-only from creation (a key is never readable by
 * others, even for a moment): `<file>.tmp` written and fsynced, renamed over `file`, then the directory
 * fsynced so the rename survives a power cut. The directory is created 0700 if missing.
 */
export function writePrivateFileAtomic(file: string, text: string): void {
  ensurePrivateDir(dirname(file));
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', PRIVATE_FILE_MODE);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  syncDir(dirname(file));
}

/** fsync of a directory (its entries: a rename); some filesystems refuse it, and the rename is atomic anyway. */
export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // refused (e.g. some network or FUSE filesystems): nothing more to do
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
