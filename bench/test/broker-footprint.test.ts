import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { diskUsage, formatBytes, rssBytes, sqliteUsedBytes } from '../lib/broker-footprint.js';

describe('bench broker footprint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'causeway-footprint-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads this process\'s RSS and NaN for a pid that does not exist', () => {
    const rss = rssBytes(process.pid);
    assert.ok(rss > 10e6 && rss < 10e9, String(rss));
    assert.ok(Number.isNaN(rssBytes(2 ** 30)));
  });

  it('sums file sizes recursively like du --apparent-size', () => {
    mkdirSync(join(dir, 'du/sub'), { recursive: true });
    writeFileSync(join(dir, 'du/a'), Buffer.alloc(100));
    writeFileSync(join(dir, 'du/sub/b'), Buffer.alloc(23));
    const u = diskUsage(join(dir, 'du'));
    assert.equal(u.apparent, 123);
    assert.deepEqual(u.files, { a: 100, 'sub/b': 23 });
    assert.equal(diskUsage(join(dir, 'missing')).apparent, 0);
  });

  it('counts a 1 KB row committed to a WAL database, to within its record overhead', () => {
    const root = join(dir, 'sq');
    mkdirSync(root);
    const db = new Database(join(root, 'x.db'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (b BLOB)');
    const before = sqliteUsedBytes(root).total;
    db.prepare('INSERT INTO t VALUES (?)').run(Buffer.alloc(1024, 1));
    const after = sqliteUsedBytes(root);
    db.close();
    const grew = after.total - before;
    assert.ok(grew >= 1024 && grew < 1200, `grew ${grew}`);
    assert.deepEqual(Object.keys(after.byFile), ['x.db']);
    assert.ok(after.byTable['x:t']! >= 1024, JSON.stringify(after.byTable));
  });

  it('formats byte counts', () => {
    assert.equal(formatBytes(999), '999 B');
    assert.equal(formatBytes(1500), '1.5 kB');
    assert.equal(formatBytes(2_500_000), '2.5 MB');
    assert.equal(formatBytes(3_210_000_000), '3.21 GB');
  });
});
