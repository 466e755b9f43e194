import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteOutbox, type OutboxOptions } from '../../src/store/sqlite-outbox.js';
import { OUTBOX_MIGRATIONS } from '../../src/store/outbox-migrations.js';
import { decodeEventBody, decodeReadingBody } from '../../src/store/record-codec.js';
import type { ReadingInput } from '../../src/ingest/sink.js';

const FORM = { maxRecords: 100, maxBytes: 1 << 20, liveWindowMs: 10_000 };

describe('store/sqlite-outbox', () => {
  let dir: string;
  let n = 0;
  const opened: SqliteOutbox[] = [];
  let clock = 1_000_000;
  const now = (): number => clock;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'outbox-test-'));
  });
  afterEach(() => {
    for (const o of opened.splice(0)) o.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function open(over: Partial<OutboxOptions> = {}, path = join(dir, `o${++n}.db`)): SqliteOutbox {
    const o = SqliteOutbox.open({ path, gateway: 'gw1', maxBytes: 1 << 20, maxAgeMs: 3_600_000, now, reportIntervalMs: 0, ...over });
    opened.push(o);
    return o;
  }
  const r = (device: string, stream: string, ts: number, extra: Partial<ReadingInput> = {}): ReadingInput => ({ device, stream, ts, value: ts, ...extra });

  it('commits an alarm at the end of the turn, not after buffer.commitIntervalMs; other records wait for it', async () => {
    const path = join(dir, 'alarm-now.db');
    const o = open({ commitIntervalMs: 60_000 }, path);
    let readingDone = false;
    void o.addReading(r('d1', 't', 1)).then(() => (readingDone = true));
    await o.addEvent({ device: 'boiler', event: 'overheat', severity: 'alarm', ts: 2 }); // would time out at 60 s
    const db = new Database(path, { readonly: true });
    const count = (db.prepare('SELECT count(*) AS c FROM records').get() as { c: number }).c;
    db.close();
    assert.equal(count, 2, 'the commit the alarm started took the reading waiting before it too');
    await new Promise((res) => setImmediate(res));
    assert.ok(readingDone);
    let laterDone = false;
    void o.addEvent({ device: 'boiler', event: 'door', severity: 'info', ts: 3 }).then(() => (laterDone = true));
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(laterDone, false, 'a telemetry-priority event still waits for the commit interval');
  });

  it('resolves adds only after the commit, and the rows are in the file', async () => {
    const path = join(dir, 'commit.db');
    const o = open({}, path);
    await Promise.all([o.addReading(r('d1', 't', 1)), o.addReading(r('d1', 't', 2))]);
    const db = new Database(path, { readonly: true });
    const count = (db.prepare('SELECT count(*) AS c FROM records').get() as { c: number }).c;
    db.close();
    assert.equal(count, 2);
    assert.equal(o.stats().records, 2);
  });

  it('uses WAL and synchronous=FULL, with a schema_version', () => {
    const path = join(dir, 'pragmas.db');
    open({}, path);
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal((db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number }).v, OUTBOX_MIGRATIONS.at(-1)!.version);
    db.close();
  });

  it('rejects invalid input with a typed error and keeps going', async () => {
    const o = open();
    await assert.rejects(o.addReading({ device: 'a/b', stream: 't', ts: 1, value: 1 }), { code: 'INPUT_INVALID' });
    await assert.rejects(o.addReading({ device: 'd', stream: 't', ts: -1, value: 1 }), { code: 'INPUT_INVALID' });
    await assert.rejects(o.addReading({ device: 'd', stream: 't', ts: 1, value: Number.NaN }), { code: 'INPUT_INVALID' });
    await assert.rejects(o.addEvent({ device: 'd', event: 'e', severity: 'bogus' as 'info', ts: 1 }), { code: 'INPUT_INVALID' });
    await o.addReading(r('d', 't', 1));
    assert.equal(o.stats().records, 1);
  });

  it('refuses a reading over maxReadingBytes (the backstop behind every ingest path) and keeps going', async () => {
    const o = open({ maxReadingBytes: 512 });
    await assert.rejects(o.addReading({ device: 'd', stream: 's', ts: 1, value: 'x'.repeat(600) }), { code: 'INPUT_TOO_LARGE' });
    await o.addReading({ device: 'd', stream: 's', ts: 2, value: 'x'.repeat(400) });
    assert.equal(o.stats().records, 1);
  });

  it('forms batches per topic: alarms first, then telemetry, then bulk, oldest first', async () => {
    const o = open();
    await Promise.all([
      o.addReading(r('d1', 'bulkstream', 1, { priority: 'bulk' })),
      o.addReading(r('d1', 't', 2)),
      o.addReading(r('d2', 't', 3)),
      o.addReading(r('d1', 't', 4)),
      o.addReading(r('d3', 'smoke', 5, { priority: 'alarm' })),
      o.addEvent({ device: 'd1', event: 'door', severity: 'critical', ts: 6 }),
    ]);
    const batches = o.formBatches(10, FORM);
    assert.deepEqual(batches.map((b) => [b.topic, b.rows.map((x) => x.id)]), [
      ['telemetry/gw1/d3/smoke', [5]],
      ['events/gw1/d1/door', [6]],
      ['telemetry/gw1/d1/t', [2, 4]],
      ['telemetry/gw1/d2/t', [3]],
      ['telemetry/gw1/d1/bulkstream', [1]],
    ]);
    assert.equal(batches[0]!.id, `${o.epoch}-5`);
    assert.deepEqual(decodeReadingBody(4, batches[2]!.rows[1]!.body), { seq: 4, ts: 4, value: 4 });
    assert.equal(decodeEventBody(batches[1]!.rows[0]!.body).severity, 'critical');
    assert.deepEqual(o.formBatches(10, FORM), [], 'formed rows are not formed again');
  });

  it('queues command results and config reports (ResultSink) as single-envelope batches ranked with alarms', async () => {
    const o = open();
    await o.addReading(r('d1', 't', 1));
    await o.sendResult({ v: 1, type: 'command-result', id: 'res-1', commandId: 'c1', gateway: 'gw1', device: 'd1', status: 'SUCCEEDED', ts: 5, output: { ok: true } });
    await o.sendConfigReport({ v: 1, type: 'config-reported', id: 'cr-1', gateway: 'gw1', version: 3, status: 'APPLIED', ts: 6 });
    await assert.rejects(o.sendResult({ v: 1, type: 'command-result' } as never), { code: 'INPUT_INVALID' });
    const b = o.formBatches(10, FORM);
    assert.deepEqual(b.map((x) => [x.kind, x.topic]), [
      ['envelope', 'cmd-result/gw1/d1/c1'],
      ['envelope', 'config-reported/gw1'],
      ['reading', 'telemetry/gw1/d1/t'],
    ]);
    assert.deepEqual(b[0]!.envelope, { v: 1, type: 'command-result', id: 'res-1', commandId: 'c1', gateway: 'gw1', device: 'd1', status: 'SUCCEEDED', ts: 5, output: { ok: true } });
  });

  it('live-first: fresh telemetry goes before the telemetry backlog', async () => {
    const o = open();
    await Promise.all([o.addReading(r('old', 't', 1)), o.addReading(r('old', 't', 2))]);
    clock += 30_000; // past the 10 s live window, below the 60 s clock-jump threshold
    await o.addReading(r('new', 't', 3));
    const b = o.formBatches(10, FORM);
    assert.deepEqual(b.map((x) => x.device), ['new', 'old']);
    clock += 30_000; // past the 10 s live window, below the 60 s clock-jump threshold
  });

  it('bounds batches by count and by bytes', async () => {
    const o = open();
    await Promise.all(Array.from({ length: 25 }, (_, i) => o.addReading(r('d', 't', i))));
    assert.deepEqual(o.formBatches(10, { ...FORM, maxRecords: 10 }).map((b) => b.rows.length), [10, 10, 5]);
    const o2 = open();
    await Promise.all(Array.from({ length: 10 }, (_, i) => o2.addReading(r('d', 't', i))));
    const rowBytes = o2.stats().bytes / 10;
    assert.deepEqual(o2.formBatches(10, { ...FORM, maxBytes: rowBytes * 4 }).map((b) => b.rows.length), [4, 4, 2]);
  });

  it('a formed batch keeps its id and rows across close and reopen; ack deletes it', async () => {
    const path = join(dir, 'immut.db');
    const o = open({}, path);
    await Promise.all(Array.from({ length: 5 }, (_, i) => o.addReading(r('d', 't', i))));
    const [b] = o.formBatches(1, { ...FORM, maxRecords: 3 });
    o.close();
    opened.pop();
    const o2 = open({}, path);
    await o2.addReading(r('d', 't', 99)); // new rows must not join the formed batch
    const again = o2.formedBatches(new Set(), 10);
    assert.equal(again.length, 1);
    assert.equal(again[0]!.id, b!.id);
    assert.deepEqual(again[0]!.rows.map((x) => x.id), b!.rows.map((x) => x.id));
    assert.deepEqual(o2.formedBatches(new Set([b!.id]), 10), []);
    o2.ack(b!.id);
    o2.flush();
    assert.equal(o2.stats().records, 3);
    // 6 was committed in this session (live), 4 and 5 are backlog of the same stream from before the
    // reopen: the live stream goes first, but starting at its oldest row, so the stream stays in order
    // (the new row's id is past the block of ids the first session reserved: id-reservation.ts)
    const [ids] = o2.formBatches(10, FORM).map((x) => x.rows.map((y) => y.id));
    assert.deepEqual(ids!.slice(0, 2), [4, 5]);
    assert.equal(ids!.length, 3);
    assert.ok(ids![2]! > 5);
  });

  it('never reuses ids after deletes, across reopen', async () => {
    const path = join(dir, 'ids.db');
    const o = open({}, path);
    await Promise.all([o.addReading(r('d', 't', 1)), o.addReading(r('d', 't', 2))]);
    const [b] = o.formBatches(1, FORM);
    o.ack(b!.id);
    o.close();
    opened.pop();
    const o2 = open({}, path);
    await o2.addReading(r('d', 't', 3));
    assert.ok(o2.formBatches(1, FORM)[0]!.rows[0]!.id > 2, 'past every id handed out before the reopen');
    assert.equal(o2.epoch, o.epoch);
  });

  async function rowSize(): Promise<number> {
    const probe = open();
    await probe.addReading(r('d', 't', 1000));
    return probe.stats().bytes;
  }

  it('evicts at the byte cap: unsent bulk first, then telemetry oldest first; counters match what is gone', async () => {
    const rowBytes = await rowSize();
    const o = open({ maxBytes: rowBytes * 20 });
    const added: number[] = [];
    await Promise.all(Array.from({ length: 5 }, (_, i) => o.addReading(r('d', 't', 3000 + i, { priority: 'bulk' }))));
    for (let k = 0; k < 4; k++) {
      const batch = Array.from({ length: 10 }, (_, i) => 1000 + k * 10 + i);
      added.push(...batch);
      await Promise.all(batch.map((ts) => o.addReading(r('d', 't', ts))));
    }
    await o.addReading(r('d', 'smoke', 1, { priority: 'alarm' }));
    const s = o.stats();
    assert.ok(s.bytes <= rowBytes * 20, `over the cap: ${s.bytes}`);
    assert.equal(s.evicted.bulk, 5, 'all bulk goes before any telemetry');
    assert.equal(s.evicted.alarm, 0);
    const batches = o.formBatches(50, FORM);
    const tele = batches.filter((b) => b.stream === 't').flatMap((b) => b.rows.map((x) => decodeReadingBody(x.id, x.body).ts)).sort((x, y) => x - y);
    assert.deepEqual(tele, added.slice(added.length - tele.length), 'the survivors are the newest telemetry');
    assert.equal(s.evicted.telemetry, added.length - tele.length, 'every missing reading is counted');
    assert.ok(batches.some((b) => b.stream === 'smoke'), 'the alarm survives');
    const reports = batches.filter((b) => b.topic === 'events/gw1/gw1/outbox-eviction');
    assert.equal(reports.length, 1, 'one unsent report at a time, superseded by the newest');
    const data = decodeEventBody(reports[0]!.rows[0]!.body).data as { evicted: Record<string, number>; total: number };
    assert.deepEqual(data.evicted, s.evicted);
    assert.equal(data.total, s.evicted.bulk + s.evicted.telemetry);
  });

  it('rejects the add of a record that its own commit evicted (never acked, then lost)', async () => {
    const rowBytes = await rowSize();
    const o = open({ maxBytes: rowBytes * 3 + 1, reportIntervalMs: 60_000 });
    await Promise.all(Array.from({ length: 3 }, (_, i) => o.addReading(r('d', 't', 1000 + i))));
    await assert.rejects(o.addReading(r('d', 't', 1000, { priority: 'bulk' })), { code: 'OUTBOX_FULL' });
    assert.deepEqual(o.stats().evicted, { alarm: 0, telemetry: 0, bulk: 0 }, 'refused, not evicted: it was never acknowledged');
    assert.equal(o.stats().rejectedFull, 1);
    const report = o.formBatches(10, FORM).find((b) => b.stream === 'outbox-eviction');
    assert.ok(report, 'a refusal is reported too');
    assert.deepEqual((decodeEventBody(report.rows[0]!.body).data as { refused: unknown }).refused, { alarm: 0, telemetry: 0, bulk: 1 });
  });

  it('within a priority, evicts formed batches whole, after the unsent rows; alarms last', async () => {
    // rows padded so the one eviction report (~250 bytes) weighs less than half a row
    const pad = { unit: 'u'.repeat(600) };
    const probe = open();
    await probe.addReading(r('d', 't', 1000, pad));
    const rowBytes = probe.stats().bytes;
    const o = open({ maxBytes: rowBytes * 5 + rowBytes / 2, reportIntervalMs: 60_000 });
    await Promise.all(Array.from({ length: 4 }, (_, i) => o.addReading(r('d', 't', 1000 + i, pad))));
    const [b1, b2] = o.formBatches(2, { ...FORM, maxRecords: 2 });
    await o.addReading(r('d', 't', 2000, pad)); // unsent: 5 rows, at the cap
    await o.addReading(r('d', 'a', 1, { ...pad, priority: 'alarm' })); // over by one: the unsent telemetry row goes
    assert.deepEqual(o.stats().evicted, { alarm: 0, telemetry: 1, bulk: 0 });
    assert.deepEqual(o.formedBatches(new Set(), 10).map((b) => b.id), [b1!.id, b2!.id]);
    await o.addReading(r('d', 'a', 2, { ...pad, priority: 'alarm' })); // no unsent telemetry: the oldest batch goes, whole
    assert.deepEqual(o.stats().evicted, { alarm: 0, telemetry: 3, bulk: 0 });
    assert.deepEqual(o.formedBatches(new Set(), 10).map((b) => b.id), [b2!.id]);
    const unsent = o.formBatches(10, FORM);
    assert.deepEqual(unsent.filter((b) => b.kind === 'reading').map((b) => b.rows.length), [2]);
  });

  it('expires rows older than maxAge and counts them', async () => {
    const o = open({ maxAgeMs: 5_000 });
    await Promise.all([o.addReading(r('d', 't', 1)), o.addReading(r('d', 't', 2, { priority: 'bulk' }))]);
    clock += 6_000;
    await o.addReading(r('d', 't', 3));
    o.flush();
    assert.deepEqual(o.stats().expired, { alarm: 0, telemetry: 1, bulk: 1 });
    const b = o.formBatches(10, FORM);
    assert.deepEqual(b.filter((x) => x.kind === 'reading').flatMap((x) => x.rows.map((y) => decodeReadingBody(y.id, y.body).ts)), [3]);
    const ev = b.find((x) => x.stream === 'outbox-eviction');
    assert.ok(ev, 'expiry is reported');
    assert.deepEqual((decodeEventBody(ev.rows[0]!.body).data as { expired: unknown }).expired, { alarm: 0, telemetry: 1, bulk: 1 });
  });

  it('a wall-clock jump (no RTC, NTP sync) does not expire buffered rows; real elapsed time still does', async () => {
    let mono = 0;
    const o = open({ maxAgeMs: 60 * 60_000, mono: () => mono });
    clock = 10_000; // "1970": the Pi booted without a clock
    await o.addReading(r('d', 't', 1));
    clock += 55 * 365 * 86_400_000; // NTP moves the clock 55 years forward…
    mono += 1000; // …while one second really passed
    o.flush();
    assert.deepEqual(o.stats().expired, { alarm: 0, telemetry: 0, bulk: 0 });
    await o.addReading(r('d', 't', 2));
    clock += 61 * 60_000; // then an hour really passes
    mono += 61 * 60_000;
    o.flush();
    assert.deepEqual(o.stats().expired, { alarm: 0, telemetry: 2, bulk: 0 });
    clock = 1_000_000;
  });

  for (const [name, damage] of [
    ['garbage', (p: string) => writeFileSync(p, Buffer.alloc(8192, 0x5a))],
    ['truncated', (p: string) => truncateSync(p, Math.floor(statSync(p).size / 2))],
  ] as const) {
    it(`quarantines a ${name} file, starts fresh with a new epoch and reports it`, async () => {
      const path = join(dir, `corrupt-${name}.db`);
      const o = open({}, path);
      await Promise.all(Array.from({ length: 2000 }, (_, i) => o.addReading(r(`d${i % 50}`, 't', i, { unit: 'x'.repeat(20) }))));
      const oldEpoch = o.epoch;
      o.close();
      opened.pop();
      damage(path);
      const o2 = open({}, path);
      assert.ok(o2.quarantine, 'quarantined');
      assert.notEqual(o2.epoch, oldEpoch);
      assert.ok(readdirSync(dir).some((f) => f.startsWith(`corrupt-${name}.db.corrupt-`)));
      const b = o2.formBatches(5, FORM);
      assert.deepEqual(b.map((x) => x.topic), ['events/gw1/gw1/outbox-corrupt']);
      await o2.addReading(r('d', 't', 1));
      assert.equal(o2.stats().records, 2);
    });
  }
});
