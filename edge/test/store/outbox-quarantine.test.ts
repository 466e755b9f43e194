import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteOutbox } from '../../src/store/sqlite-outbox.js';
import { decodeEventBody } from '../../src/store/record-codec.js';

const FORM = { maxRecords: 100, maxBytes: 1 << 20, liveWindowMs: 10_000 };

describe('store/outbox-quarantine', () => {
  let dir: string;
  let n = 0;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'quarantine-test-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const open = (path: string): SqliteOutbox => SqliteOutbox.open({ path, gateway: 'gw1', maxBytes: 1 << 20, maxAgeMs: 3_600_000, reportIntervalMs: 0 });
  const fill = async (o: SqliteOutbox, count: number): Promise<void> => {
    await Promise.all(Array.from({ length: count }, (_, i) => o.addReading({ device: 'd', stream: 's', ts: i + 1, value: i })));
  };

  it('splits a refused batch in two under new ids; every row stays, none is in two batches', async () => {
    const o = open(join(dir, `q${++n}.db`));
    await fill(o, 5);
    const [b] = o.formBatches(1, FORM);
    const halves = o.splitBatch(b!.id);
    assert.equal(halves.length, 2);
    assert.ok(!halves.includes(b!.id), 'new ids: the cloud must not take a half for the whole');
    const formed = o.formedBatches(new Set(), 10);
    assert.deepEqual(formed.map((f) => f.id), halves);
    assert.deepEqual(formed.map((f) => f.rows.map((r) => r.id)), [b!.rows.slice(0, 3).map((r) => r.id), b!.rows.slice(3).map((r) => r.id)]);
    // split again down to one row; a single row cannot be split
    const again = o.splitBatch(halves[1]!);
    assert.equal(again.length, 2);
    assert.deepEqual(o.splitBatch(again[0]!), []);
    assert.equal(o.stats().records, 5);
    o.close();
  });

  it('quarantines a refused batch: rows moved to the quarantine table, counted, an event queued for the cloud; the counter survives a restart', async () => {
    const path = join(dir, `q${++n}.db`);
    const o = open(path);
    await fill(o, 3);
    const [b] = o.formBatches(1, { ...FORM, maxRecords: 1 });
    const res = o.quarantineBatch(b!.id, 'too large for the broker');
    assert.equal(res?.rows, 1);
    assert.deepEqual(o.stats().quarantined, { alarm: 0, telemetry: 1, bulk: 0 });
    assert.equal(o.stats().records, 3, 'two readings left plus the quarantine event');
    const next = o.formBatches(10, FORM);
    const ev = next.find((x) => x.kind === 'event')!;
    assert.equal(ev.stream, 'outbox-quarantine');
    assert.equal(ev.priority, 0, 'ranked with alarms: the cloud hears of it first');
    const data = decodeEventBody(ev.rows[0]!.body).data as { batchId: string; records: number; seqs: number[]; reason: string };
    assert.deepEqual([data.batchId, data.records, data.seqs, data.reason], [b!.id, 1, [b!.rows[0]!.id], 'too large for the broker']);
    assert.deepEqual(next.filter((x) => x.kind === 'reading').flatMap((x) => x.rows.map((r) => r.id)), [b!.rows[0]!.id + 1, b!.rows[0]!.id + 2], 'the readings behind it move on');
    assert.equal(o.quarantineBatch(b!.id, 'again'), undefined, 'a batch already gone is a no-op');
    o.close();

    const db = new Database(path, { readonly: true });
    const q = db.prepare('SELECT id, batch_id, reason FROM quarantine').all();
    db.close();
    assert.deepEqual(q, [{ id: b!.rows[0]!.id, batch_id: b!.id, reason: 'too large for the broker' }]);
    const re = open(path);
    assert.deepEqual(re.stats().quarantined, { alarm: 0, telemetry: 1, bulk: 0 });
    re.close();
  });
});
