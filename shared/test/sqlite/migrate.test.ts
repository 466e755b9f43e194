import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { CausewayError } from '../../src/errors/causeway-error.js';
import { EXIT, exitCodeFor } from '../../src/errors/exit-codes.js';
import { migrate, numbered, schemaFloor, schemaVersion } from '../../src/sqlite/migrate.js';

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
    // A newer build applied a breaking migration 9: its floor is 9.
    migrate(db, [...M, { version: 9, up: 'ALTER TABLE a RENAME COLUMN y TO yy' }], { what: 'command inbox' });
    const before = db.serialize();
    assert.throws(() => migrate(db, M, { what: 'command inbox' }), (e: unknown) => e instanceof CausewayError && e.code === 'SCHEMA_TOO_NEW' && /command inbox schema version 9 is newer than this build knows \(3\) and needs a build of version 9 or later/.test(e.message));
    assert.deepEqual(db.serialize(), before, 'the refused file is untouched');
    // exit 65 (data), the outbox's IO_-prefixed code too: not an I/O error to retry
    assert.equal(exitCodeFor(new CausewayError('SCHEMA_TOO_NEW', 'x')), EXIT.DATAERR);
    assert.equal(exitCodeFor(new CausewayError('IO_SCHEMA_TOO_NEW', 'x')), EXIT.DATAERR);
    assert.throws(() => migrate(db, M, { what: 'x', tooNew: (c, l) => new Error(`too new ${c}>${l}`) }), /too new 9>3/);
  });

  it('opens a newer file untouched when every newer migration was additive (a rolled-back release, issue 17)', () => {
    const newer = [...M, { version: 4, up: 'ALTER TABLE a ADD COLUMN w TEXT', additive: true as const }, { version: 5, up: 'CREATE TABLE d (q INTEGER)', additive: true as const }];
    migrate(db, newer, { what: 'outbox' });
    assert.equal(schemaFloor(db), 3);
    const told: number[][] = [];
    assert.deepEqual(migrate(db, M, { what: 'outbox', onNewer: (c, l, f) => told.push([c, l, f]) }), []);
    assert.deepEqual(told, [[5, 3, 3]]);
    db.prepare('INSERT INTO a (x, y) VALUES (1, 2)').run(); // the older build writes as it knows
    assert.equal(schemaVersion(db), 5);
    // … and the newer build opens it again as its own.
    assert.deepEqual(migrate(db, newer, { what: 'outbox' }), []);
    // A build older than the floor is still refused.
    assert.throws(() => migrate(db, M.slice(0, 2), { what: 'outbox' }), { code: 'SCHEMA_TOO_NEW' });
  });

  it('counts a file from before the floor was kept as its own version (unknown migrations are breaking)', () => {
    db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (7)');
    assert.equal(schemaFloor(db), 7);
    assert.throws(() => migrate(db, M, { what: 'test' }), { code: 'SCHEMA_TOO_NEW' });
  });

  it('keeps such a file\'s floor at its old version when an additive migration is applied to it', () => {
    migrate(db, M, { what: 'test' });
    db.exec('DROP TABLE schema_floor'); // as written by a build from before the floor
    migrate(db, [...M, { version: 4, up: 'CREATE TABLE d (q INTEGER)', additive: true }], { what: 'test' });
    assert.equal(schemaFloor(db), 3);
    assert.deepEqual(migrate(db, M, { what: 'test' }), [], 'the older build opens it');
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
