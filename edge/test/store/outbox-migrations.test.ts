import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { migrate, OUTBOX_MIGRATIONS } from '../../src/store/outbox-migrations.js';

describe('store/outbox-migrations', () => {
  it('applies every migration once and records schema_version', () => {
    const db = new Database(':memory:');
    assert.equal(migrate(db), OUTBOX_MIGRATIONS.at(-1)!.version);
    const epoch = (db.prepare("SELECT value FROM meta WHERE key = 'epoch'").get() as { value: string }).value;
    assert.match(epoch, /^[0-9a-f]{12}$/);
    migrate(db); // idempotent
    assert.equal((db.prepare('SELECT count(*) AS c FROM schema_version').get() as { c: number }).c, OUTBOX_MIGRATIONS.length);
    assert.equal((db.prepare("SELECT value FROM meta WHERE key = 'epoch'").get() as { value: string }).value, epoch);
    db.close();
  });

  it('applies only the new ones, in order, on an older file', () => {
    const db = new Database(':memory:');
    const order: number[] = [];
    const ms = [
      { version: 1, up: () => order.push(1) },
      { version: 2, up: () => order.push(2) },
    ];
    migrate(db, ms.slice(0, 1));
    migrate(db, ms);
    assert.deepEqual(order, [1, 2]);
    db.close();
  });

  it('refuses a file written by a newer agent', () => {
    const db = new Database(':memory:');
    migrate(db);
    // A newer agent's breaking migration 99 (schema_floor 99; an additive one would open, issue 17).
    db.prepare('INSERT INTO schema_version (version) VALUES (99)').run();
    db.prepare('INSERT INTO schema_floor (version) VALUES (99)').run();
    assert.throws(() => migrate(db), { code: 'IO_SCHEMA_TOO_NEW' });
    db.close();
  });

  it('rolls a failing migration back', () => {
    const db = new Database(':memory:');
    assert.throws(() => migrate(db, [{ version: 1, up: (d) => { d.exec('CREATE TABLE t (x)'); throw new Error('boom'); } }]), /boom/);
    assert.equal(db.prepare("SELECT name FROM sqlite_master WHERE name = 't'").get(), undefined);
    assert.equal((db.prepare('SELECT count(*) AS c FROM schema_version').get() as { c: number }).c, 0);
    db.close();
  });
});

describe('store/outbox-migrations v1 → v2', () => {
  it('keeps every row and the id high-water mark, and accepts envelope rows', () => {
    const db = new Database(':memory:');
    migrate(db, OUTBOX_MIGRATIONS.slice(0, 1));
    const ins = db.prepare("INSERT INTO records (kind, topic, device, stream, body, bytes, priority, created, expires) VALUES ('reading', 't', 'd', 's', x'00', 1, 1, 0, 1)");
    for (let i = 0; i < 5; i++) ins.run();
    db.prepare('DELETE FROM records WHERE id >= 4').run(); // high-water mark 5, max id 3
    assert.throws(() => db.prepare("INSERT INTO records (kind, topic, device, stream, body, bytes, priority, created, expires) VALUES ('envelope', 't', 'd', 's', x'00', 1, 1, 0, 1)").run(), /CHECK/);
    migrate(db);
    assert.deepEqual((db.prepare('SELECT id FROM records ORDER BY id').all() as Array<{ id: number }>).map((r) => r.id), [1, 2, 3]);
    const id = db.prepare("INSERT INTO records (kind, topic, device, stream, body, bytes, priority, created, expires) VALUES ('envelope', 't', 'd', 's', x'00', 1, 1, 0, 1)").run().lastInsertRowid;
    assert.equal(Number(id), 6, 'ids 4 and 5 are never reused');
    db.close();
  });
});

describe('store/outbox-migrations v2 → v3', () => {
  it('adds the quarantine table and keeps every outbox row', () => {
    const db = new Database(':memory:');
    migrate(db, OUTBOX_MIGRATIONS.slice(0, 2));
    db.prepare("INSERT INTO records (kind, topic, device, stream, body, bytes, priority, created, expires, batch_id) VALUES ('reading', 't', 'd', 's', x'00', 1, 1, 1, 2, 'e-1')").run();
    assert.equal(migrate(db), 3);
    assert.equal((db.prepare('SELECT count(*) AS c FROM records').get() as { c: number }).c, 1);
    assert.equal((db.prepare('SELECT count(*) AS c FROM quarantine').get() as { c: number }).c, 0);
    db.close();
  });
});
