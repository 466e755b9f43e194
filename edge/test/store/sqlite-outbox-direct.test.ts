import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteOutbox, type OutboxOptions } from '../../src/store/sqlite-outbox.js';
import type { ReadingInput } from '../../src/ingest/sink.js';

const FORM = { maxRecords: 100, maxBytes: 1 << 20, liveWindowMs: 10_000 };

/** The direct path of the outbox (issue 16): readings out before their commit, written only if not PUBACKed in time. */
describe('store/sqlite-outbox: the direct path', () => {
  let dir: string;
  let n = 0;
  const opened: SqliteOutbox[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'outbox-direct-'));
  });
  afterEach(() => {
    for (const o of opened.splice(0)) o.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function open(over: Partial<OutboxOptions> = {}, path = join(dir, `o${++n}.db`)): SqliteOutbox {
    const o = SqliteOutbox.open({ path, gateway: 'gw1', maxBytes: 1 << 20, maxAgeMs: 3_600_000, reportIntervalMs: 0, direct: true, commitIntervalMs: 200, ...over });
    opened.push(o);
    return o;
  }
  const r = (device: string, stream: string, ts: number): ReadingInput => ({ device, stream, ts, value: ts });
  const rowsIn = (path: string): Array<{ id: number; batch_id: string | null }> => {
    const db = new Database(path, { readonly: true });
    try {
      return db.prepare('SELECT id, batch_id FROM records ORDER BY id').all() as Array<{ id: number; batch_id: string | null }>;
    } finally {
      db.close();
    }
  };
  const settledIn = async (p: Promise<void>, ms: number): Promise<boolean> => Promise.race([p.then(() => true), new Promise<boolean>((res) => setTimeout(() => res(false), ms))]);

  it('a PUBACK before the deadline settles the readings with no row written', async () => {
    const path = join(dir, 'acked.db');
    const o = open({}, path);
    const adds = [o.addReading(r('d', 't', 1)), o.addReading(r('d', 't', 2)), o.addReading(r('e', 't', 3))];
    const batches = o.formBatches(10, FORM);
    assert.deepEqual(batches.map((b) => [b.topic, b.records]), [['telemetry/gw1/d/t', 2], ['telemetry/gw1/e/t', 1]]);
    assert.equal(await settledIn(Promise.all(adds).then(() => undefined), 20), false, 'no device ACK before the PUBACK');
    for (const b of batches) o.ack(b.id);
    await Promise.all(adds);
    await new Promise((res) => setTimeout(res, 300)); // past the deadline: nothing is left to commit
    o.flush();
    assert.deepEqual(rowsIn(path), []);
    assert.equal(o.stats().directAcked, 3);
    assert.equal(o.stats().pending, 0);
  });

  it('without a PUBACK by the deadline the batch is written whole under its id, and re-sent as the same bytes', async () => {
    const path = join(dir, 'late.db');
    const o = open({}, path);
    const adds = [1, 2, 3].map((i) => o.addReading(r('d', 't', i)));
    const [b] = o.formBatches(10, FORM);
    assert.equal(o.formedBatches(new Set([b!.id]), 10).length, 0, 'in flight on this connection');
    await Promise.all(adds); // settled by the commit at the deadline
    assert.deepEqual(rowsIn(path).map((x) => x.batch_id), [b!.id, b!.id, b!.id]);
    const again = o.formedBatches(new Set(), 10);
    assert.equal(again.length, 1);
    assert.equal(again[0]!.id, b!.id);
    assert.deepEqual(again[0]!.envelope, b!.envelope);
    o.ack(b!.id); // the late PUBACK deletes the rows
    o.flush();
    assert.deepEqual(rowsIn(path), []);
    assert.equal(o.stats().directAcked, 0);
  });

  it('past commitMaxRecords readings stay in memory for the direct path: the deadline and the byte cap bound them, not the count (issue 16)', async () => {
    const path = join(dir, 'many.db');
    const o = open({ commitMaxRecords: 10, commitIntervalMs: 5_000 }, path);
    const adds = Array.from({ length: 50 }, (_, i) => o.addReading(r(`d${i % 5}`, 't', i)));
    assert.equal(o.stats().pending, 50, 'none committed by count');
    assert.deepEqual(rowsIn(path), []);
    const batches = o.formBatches(10, FORM);
    assert.equal(batches.reduce((n, b) => n + b.records, 0), 50);
    for (const b of batches) o.ack(b.id);
    await Promise.all(adds);
    o.flush();
    assert.deepEqual(rowsIn(path), []);
    assert.equal(o.stats().directAcked, 50);
  });

  it('the byte cap: when the pending readings reach pendingMaxBytes they are all committed at once', async () => {
    const path = join(dir, 'cap.db');
    const o = open({ commitIntervalMs: 5_000, pendingMaxBytes: 2_000 }, path);
    const adds: Array<Promise<void>> = [];
    while (o.stats().records === 0 && adds.length < 1_000) adds.push(o.addReading(r('d', 't', adds.length)));
    assert.ok(adds.length > 1 && adds.length < 1_000, `committed after ${adds.length} readings`);
    await Promise.all(adds); // settled by that commit, not by the 5 s deadline
    assert.equal(rowsIn(path).length, adds.length);
    assert.equal(o.stats().pending, 0);
  });

  it('with the direct path off, commitMaxRecords still commits by count', async () => {
    const path = join(dir, 'count.db');
    const o = open({ direct: false, commitMaxRecords: 10, commitIntervalMs: 5_000 }, path);
    const adds = Array.from({ length: 10 }, (_, i) => o.addReading(r('d', 't', i)));
    await Promise.all(adds);
    assert.equal(rowsIn(path).length, 10);
  });

  it('with the direct path off, the adds of one event-loop turn past commitMaxRecords share one commit; at 4 times the count it commits at once (issue 16)', async () => {
    const path = join(dir, 'turn.db');
    const o = open({ direct: false, commitMaxRecords: 10, commitIntervalMs: 5_000 }, path);
    const adds = Array.from({ length: 25 }, (_, i) => o.addReading(r('d', 't', i)));
    assert.deepEqual(rowsIn(path), [], 'not inside the add');
    await Promise.all(adds); // settled by the end-of-turn commit, not by the 5 s deadline
    assert.equal(rowsIn(path).length, 25);
    const burst: Array<Promise<void>> = [];
    while (rowsIn(path).length === 25 && burst.length < 100) burst.push(o.addReading(r('d', 't', 100 + burst.length)));
    assert.equal(burst.length, 40, 'committed inside the 40th add');
    await Promise.all(burst);
    assert.equal(o.stats().pending, 0);
  });

  it('a late PUBACK: once the written batch is acknowledged, the direct path resumes before its rows are deleted', async () => {
    const path = join(dir, 'resume.db');
    const o = open({}, path);
    const add = o.addReading(r('d', 't', 1));
    const [b] = o.formBatches(10, FORM);
    await add; // no PUBACK in time: written under its id
    const held = o.addReading(r('d', 't', 2));
    assert.deepEqual(o.formBatches(10, FORM), [], 'an unacknowledged stored batch holds the direct path off');
    o.ack(b!.id); // the late PUBACK; the delete waits for the next commit
    assert.equal(rowsIn(path).length, 1);
    const [next] = o.formBatches(10, FORM);
    assert.equal(next!.records, 1, 'the held reading goes out directly');
    o.ack(next!.id);
    await held;
    o.flush();
    assert.deepEqual(rowsIn(path), []);
    assert.equal(o.stats().directAcked, 1);
  });

  it('a connection that closed: the direct batch goes again from memory, before any newer batch', async () => {
    const o = open({ commitIntervalMs: 5000 });
    const first = [1, 2].map((i) => o.addReading(r('d', 't', i)));
    const [b1] = o.formBatches(10, FORM);
    const second = [3].map((i) => o.addReading(r('d', 't', i)));
    // reconnect: nothing excluded; the uplink takes formed batches first
    const again = o.formedBatches(new Set(), 10);
    assert.deepEqual(again.map((b) => b.id), [b1!.id]);
    const [b2] = o.formBatches(10, FORM);
    assert.deepEqual(b2!.rows.map((x) => x.id), [b1!.rows[1]!.id + 1]);
    o.ack(b1!.id);
    o.ack(b2!.id);
    await Promise.all([...first, ...second]);
  });

  it('no direct path while the file holds records: a stream never overtakes its stored rows', async () => {
    const path = join(dir, 'backlog.db');
    const o = open({ direct: false }, path);
    await o.addReading(r('d', 't', 1)); // committed: the backlog of an outage
    o.close();
    opened.pop();
    const o2 = open({}, path);
    const add = o2.addReading(r('d', 't', 2));
    const b = o2.formBatches(10, FORM);
    assert.deepEqual(b.flatMap((x) => x.rows.map((y) => y.id)).length, 1, 'only the stored row');
    await add; // committed at its deadline, then sent from the file after the stored one
    o2.ack(b[0]!.id);
    o2.flush();
    const next = o2.formBatches(10, FORM);
    assert.equal(next.length, 1);
    assert.equal(next[0]!.records, 1);
    assert.ok(next[0]!.rows[0]!.id > b[0]!.rows[0]!.id);
  });

  it('batch delay: a stream waits uplink.batchDelayMs to share a batch, then the owner is woken', async () => {
    let woken = 0;
    const o = open({ onCommit: () => woken++ });
    const adds = [1, 2].map((i) => o.addReading(r('d', 't', i)));
    const wokenByAdds = woken;
    assert.deepEqual(o.formBatches(10, { ...FORM, delayMs: 60 }), [], 'not yet: the stream waits for company');
    await new Promise((res) => setTimeout(res, 90));
    assert.ok(woken > wokenByAdds, 'the delay timer woke the uplink');
    const [b] = o.formBatches(10, { ...FORM, delayMs: 60 });
    assert.equal(b!.records, 2);
    o.ack(b!.id);
    await Promise.all(adds);
    // a full batch does not wait
    const more = [3, 4].map((i) => o.addReading(r('d', 't', i)));
    const [full] = o.formBatches(10, { ...FORM, maxRecords: 2, delayMs: 60_000 });
    assert.equal(full!.records, 2);
    o.ack(full!.id);
    await Promise.all(more);
  });

  it('events and command results are never sent before their commit', async () => {
    const o = open({ commitIntervalMs: 20 });
    const ev = o.addEvent({ device: 'd', event: 'door', severity: 'alarm', ts: 1 });
    assert.deepEqual(o.formBatches(10, FORM), []);
    await ev;
    assert.equal(o.stats().records, 1);
    assert.equal(o.formBatches(10, FORM)[0]!.topic, 'events/gw1/d/door');
  });

  it('ids stay unique across a crash: a reopened outbox starts past every id reserved before', async () => {
    const path = join(dir, 'crash.db');
    const o = open({}, path);
    const adds = [1, 2].map((i) => o.addReading(r('d', 't', i)));
    const [b] = o.formBatches(10, FORM);
    o.ack(b!.id); // PUBACKed: never written
    await Promise.all(adds);
    // no close: the process "dies" here; a second handle on the same file plays the restart
    const o2 = open({}, path);
    const add = o2.addReading(r('d', 't', 3));
    const [b2] = o2.formBatches(10, FORM);
    assert.notEqual(b2!.id, b!.id);
    assert.ok(b2!.rows[0]!.id > b!.rows[1]!.id);
    o2.ack(b2!.id);
    await add;
  });
});
