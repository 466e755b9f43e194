import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { commitGroup, INSERT_CHUNK, insertRecord, type GroupCommitInput, type PendingRecord } from '../../src/store/group-commit.js';
import { openOutboxDb } from '../../src/store/open-outbox-db.js';
import { OutboxCounters } from '../../src/store/outbox-counters.js';

describe('store/group-commit', () => {
  let dir: string;
  let n = 0;
  const dbs: Database.Database[] = [];
  before(() => (dir = mkdtempSync(join(tmpdir(), 'group-commit-test-'))));
  afterEach(() => {
    for (const d of dbs.splice(0)) d.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function open(): { db: Database.Database; counters: OutboxCounters } {
    const { db } = openOutboxDb(join(dir, `g${++n}.db`), () => 1000);
    dbs.push(db);
    return { db, counters: new OutboxCounters(db) };
  }
  const rec = (priority: number, created: number, bytes = 100): PendingRecord => ({
    row: { kind: 'reading', topic: `telemetry/gw/d/p${priority}`, device: 'd', stream: `p${priority}`, body: Buffer.from([1]), priority, created, bytes },
    expires: created + 3_600_000,
  });
  const input = (over: Partial<GroupCommitInput>): GroupCommitInput => ({ items: [], acks: [], now: 1000, jump: 0, expireDue: false, totalBytes: 0, maxBytes: 1 << 20, ...over });
  const rows = (db: Database.Database) => db.prepare('SELECT id, priority, created, expires, batch_id AS b FROM records ORDER BY id').all() as Array<{ id: number; priority: number; created: number; expires: number; b: string | null }>;

  it('inserts the pending records in order, one id each, and counts what it added', () => {
    const { db, counters } = open();
    const res = commitGroup(db, counters, input({ items: [rec(1, 1000), rec(0, 1000, 50)] }));
    assert.deepEqual(res.ids, rows(db).map((r) => r.id));
    assert.deepEqual(res.delta, { records: 2, bytes: 150 });
    assert.equal(res.evicted.size, 0);
  });

  it('writes runs of reserved ids in multi-row INSERTs with the same rows as one by one (issue 16)', () => {
    const full = (d: Database.Database) => d.prepare('SELECT id, kind, topic, device, stream, body, bytes, priority, created, expires, attempts, batch_id FROM records ORDER BY id').all();
    // reserved ids, one without (AUTOINCREMENT: the next id past the largest so far, so the ids after it
    // leave a gap), a direct batch's items
    const items: PendingRecord[] = [];
    for (let i = 0; i < 2 * INSERT_CHUNK + 5; i++) {
      const p: PendingRecord = { ...rec(i % 3, 1000 + i, 60 + i), id: 10 + i + (i >= INSERT_CHUNK + 20 ? 100 : 0) };
      p.row.body = Buffer.from([i, i + 1]);
      if (i >= INSERT_CHUNK + 3 && i < INSERT_CHUNK + 8) p.batch = 'e-b';
      items.push(p);
    }
    items.splice(INSERT_CHUNK + 20, 0, rec(1, 2000));
    const a = open();
    const res = commitGroup(a.db, a.counters, input({ items }));
    const b = open();
    const oneByOne = b.db.transaction(() => items.map((p) => insertRecord(b.db, p.row, p.expires, p.id, p.batch)))();
    assert.deepEqual(res.ids, oneByOne);
    assert.deepEqual(full(a.db), full(b.db));
    assert.equal(full(a.db).length, items.length);
    assert.deepEqual(res.delta, { records: items.length, bytes: items.reduce((s, p) => s + p.row.bytes, 0) });
  });

  it('deletes the rows of acknowledged batches in the same transaction', () => {
    const { db, counters } = open();
    const [a, b] = [insertRecord(db, rec(1, 1000).row, 5000), insertRecord(db, rec(1, 1000).row, 5000)];
    db.prepare('UPDATE records SET batch_id = ? WHERE id IN (?, ?)').run('e-1', a, b);
    const res = commitGroup(db, counters, input({ items: [rec(1, 1000)], acks: ['e-1'] }));
    assert.deepEqual(res.delta, { records: -1, bytes: -100 });
    assert.deepEqual(rows(db).map((r) => r.b), [null]);
  });

  it('a clock jump shifts the stored rows and the adds queued before it, not those after it', () => {
    const { db, counters } = open();
    insertRecord(db, rec(1, 1000).row, 1000 + 3_600_000);
    const jump = 1_700_000_000_000;
    const now = 1000 + jump;
    commitGroup(db, counters, input({ now, jump, items: [rec(1, 1500), rec(1, now - 10)] }));
    assert.deepEqual(rows(db).map((r) => [r.created, r.expires]), [
      [1000 + jump, 1000 + jump + 3_600_000],
      [1500 + jump, 1500 + jump + 3_600_000],
      [now - 10, now - 10 + 3_600_000],
    ]);
  });

  it('expires past-due rows and counts them per priority, durably', () => {
    const { db, counters } = open();
    insertRecord(db, rec(2, 0).row, 500);
    insertRecord(db, rec(1, 0).row, 5000);
    const res = commitGroup(db, counters, input({ expireDue: true }));
    assert.deepEqual(res.delta, { records: -1, bytes: -100 });
    assert.deepEqual([...res.counterUpdates], [['expired.2', 1]]);
    assert.deepEqual(new OutboxCounters(db).byPriority('expired'), { alarm: 0, telemetry: 0, bulk: 1 }, 'written in the transaction');
  });

  it('over the cap: evicts the lowest priority; a record evicted by its own commit is counted refused, not evicted', () => {
    const { db, counters } = open();
    insertRecord(db, rec(2, 1000).row, 5000); // buffered earlier, acknowledged to its source
    const res = commitGroup(db, counters, input({ items: [rec(0, 1000), rec(2, 1000)], totalBytes: 100, maxBytes: 100 }));
    assert.equal(res.evicted.size, 2, 'both bulk rows go');
    assert.equal(res.evicted.has(res.ids[1]!), true, 'the new bulk record is among them: its add must be refused');
    assert.equal(res.evicted.has(res.ids[0]!), false);
    assert.deepEqual(Object.fromEntries(res.counterUpdates), { 'evicted.2': 1, 'refused.2': 1 });
    assert.deepEqual(res.delta, { records: 0, bytes: 0 }, 'two added, two evicted: the alarm replaces the old bulk row');
  });

  it('a failed transaction writes nothing and throws', () => {
    const { db, counters } = open();
    const bad: PendingRecord = { ...rec(1, 1000), row: { ...rec(1, 1000).row, kind: 'nonsense' as never } };
    assert.throws(() => commitGroup(db, counters, input({ items: [rec(1, 1000), bad] })));
    assert.deepEqual(rows(db), []);
  });
});
