import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ensurePrivateDir, privateDbFile, writePrivateFileAtomic } from '../../src/fs/private-files.js';

const mode = (p: string): number => statSync(p).mode & 0o777;

describe('shared/fs/private-files (issue 23 item 14)', () => {
  let dir: string;
  let umask: number;
  beforeEach(() => {
    umask = process.umask(0o022); // the usual default, under which files came out 0644
    dir = mkdtempSync(join(tmpdir(), 'cw-private-'));
  });
  afterEach(() => {
    process.umask(umask);
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a database, its directory and its -wal/-shm owner-only', () => {
    const file = join(dir, 'data', 'nested', 'registry.db');
    const db = new Database(privateDbFile(file));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    assert.equal(mode(join(dir, 'data')), 0o700);
    assert.equal(mode(join(dir, 'data', 'nested')), 0o700);
    assert.equal(mode(file), 0o600);
    assert.equal(mode(`${file}-wal`), 0o600);
    assert.equal(mode(`${file}-shm`), 0o600);
    db.close();
  });

  it('restricts a database an older version left world-readable, and keeps its content', () => {
    const file = join(dir, 'outbox.db');
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE t (x); INSERT INTO t VALUES (42)');
    old.close();
    chmodSync(file, 0o644);
    writeFileSync(`${file}-shm`, '');
    chmodSync(`${file}-shm`, 0o644);
    const db = new Database(privateDbFile(file));
    assert.equal(mode(file), 0o600);
    assert.equal(mode(`${file}-shm`), 0o600);
    assert.deepEqual(db.prepare('SELECT x FROM t').get(), { x: 42 });
    db.close();
  });

  it('leaves in-memory databases and existing directories alone', () => {
    assert.equal(privateDbFile(':memory:'), ':memory:');
    assert.equal(privateDbFile(''), '');
    const shared = join(dir, 'shared');
    mkdirSync(shared, { mode: 0o755 });
    ensurePrivateDir(shared);
    assert.equal(mode(shared), 0o755, "an operator's directory keeps its mode");
    ensurePrivateDir(join(shared, 'ours'));
    assert.equal(mode(join(shared, 'ours')), 0o700);
  });

  it('writePrivateFileAtomic: a whole file, mode 0600 under umask 022, in a new 0700 directory; no temporary file left; replaces an old one', () => {
    const base = mkdtempSync(join(tmpdir(), 'cw-atomic-'));
    try {
      const file = join(base, 'keys', 'gateway-key.pem');
      const old = process.umask(0o022);
      try {
        writePrivateFileAtomic(file, 'first\n');
        writePrivateFileAtomic(file, 'second\n');
      } finally {
        process.umask(old);
      }
      assert.equal(readFileSync(file, 'utf8'), 'second\n');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(statSync(join(base, 'keys')).mode & 0o777, 0o700);
      assert.equal(existsSync(`${file}.tmp`), false);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
