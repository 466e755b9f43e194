import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { dropUnsentReport, EVICTION_POLICY, evictionReport } from '../../src/store/eviction-report.js';
import { insertRecord } from '../../src/store/group-commit.js';
import { openOutboxDb } from '../../src/store/open-outbox-db.js';
import { OutboxCounters } from '../../src/store/outbox-counters.js';

describe('store/eviction-report', () => {
  let dir: string;
  let db: Database.Database;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'eviction-report-test-'))));
  beforeEach(() => (db = openOutboxDb(join(dir, `r${Date.now()}-${Math.random()}.db`), () => 1000).db));
  afterEach(() => db.close());
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reports the cumulative counters per priority, and what is new since the last report', () => {
    const c = new OutboxCounters(db);
    const first = new Map([['evicted.2', 5], ['expired.1', 2], ['refused.0', 1], ['quarantined.1', 9]]);
    c.write(first);
    c.apply(first);
    assert.deepEqual(evictionReport(c), {
      data: { policy: EVICTION_POLICY, evicted: { alarm: 0, telemetry: 0, bulk: 5 }, expired: { alarm: 0, telemetry: 2, bulk: 0 }, refused: { alarm: 1, telemetry: 0, bulk: 0 }, sinceLastReport: 8, total: 8 },
      total: 8,
    });
    c.apply(new Map([['reported', 8], ['evicted.2', 7]]));
    assert.deepEqual([evictionReport(c).data.sinceLastReport, evictionReport(c).total], [2, 10]);
  });

  it('a newer report supersedes an unsent older one; a report already in a batch stays', () => {
    const topic = 'events/gw/gw/outbox-eviction';
    const row = { kind: 'event' as const, topic, device: 'gw', stream: 'outbox-eviction', body: Buffer.from([1]), bytes: 70, priority: 0, created: 1000 };
    insertRecord(db, row, 9000);
    const sent = insertRecord(db, row, 9000);
    db.prepare("UPDATE records SET batch_id = 'e-2' WHERE id = ?").run(sent);
    insertRecord(db, { ...row, topic: 'telemetry/gw/d/t', kind: 'reading' }, 9000);
    assert.deepEqual(dropUnsentReport(db, topic), { n: 1, b: 70 });
    assert.deepEqual((db.prepare('SELECT topic, batch_id AS b FROM records ORDER BY id').all() as unknown[]), [{ topic, b: 'e-2' }, { topic: 'telemetry/gw/d/t', b: null }]);
  });
});
