import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { CausewayError } from '../../src/errors/causeway-error.js';
import { migrate, numbered, schemaVersion } from '../../src/sqlite/migrate.js';

describe('shared/sqlite/migrate', () => {
  const M = numbered(['CREATE TABLE a (x INTEGER)', 'ALTER TABLE a ADD COLUMN y INTEGER', 'CREATE TABLE b (z TEXT)']);
  let db: Database.Database;
  beforeEach(() => (db = new Database(':memory:')));
  afterEach(() => db.close());

  it('applies every migration to a new file, once', () => {
    assert.deepEqual(migrate(db, M, { what: 'test' }), [1, 2, 3]);
    assert.equal(schemaVersion(db), 3);
    assert.deepEqual(migrate(db, M, { what: 'test' }), []);
    db.prepare('INSERT INTO a (x, y) VALUES (1, 2)').run();
  });

  it('stops at a target version (an upgrade test starts from there)', () => {
    assert.deepEqual(migrate(db, M, { what: 'test', target: 1 }), [1]);
    assert.deepEqual(migrate(db, M, { what: 'test' }), [2, 3]);
  });

  it('reads a file of the older single-row bookkeeping (one row, updated in place) and goes on from it', () => {
    db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (0)');
    db.exec('CREATE TABLE a (x INTEGER)');
    db.prepare('UPDATE schema_version SET version = 1').run();
    assert.equal(schemaVersion(db), 1);
    assert.deepEqual(migrate(db, M, { what: 'test' }), [2, 3]);
  });

  it('refuses a file written by a newer build, naming it, with the default or the caller\'s error', () => {
    migrate(db, M, { what: 'command inbox' });
    db.prepare('INSERT INTO schema_version (version) VALUES (9)').run();
    assert.throws(() => migrate(db, M, { what: 'command inbox' }), (e: unknown) => e instanceof CausewayError && e.code === 'SCHEMA_TOO_NEW' && /command inbox schema version 9 is newer than this build knows \(3\)/.test(e.message));
    assert.throws(() => migrate(db, M, { what: 'x', tooNew: (c, l) => new Error(`too new ${c}>${l}`) }), /too new 9>3/);
  });

  it('rolls a failing migration back with its version row', () => {
    const bad = [...M, { version: 4, up: 'CREATE TABLE c (q INTEGER); SELECT * FROM no_such_table' }];
    assert.throws(() => migrate(db, bad, { what: 'test' }), /no_such_table/);
    assert.equal(schemaVersion(db), 3);
    assert.equal((db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'c'").get() as { n: number }).n, 0);
  });

  it('runs function migrations for what SQL alone cannot do', () => {
    migrate(db, [{ version: 1, up: (d) => d.exec("CREATE TABLE meta (k TEXT); INSERT INTO meta VALUES ('epoch')") }], { what: 'test' });
    assert.equal((db.prepare('SELECT k FROM meta').get() as { k: string }).k, 'epoch');
  });
});
