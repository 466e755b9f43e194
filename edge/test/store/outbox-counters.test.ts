import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { openOutboxDb } from '../../src/store/open-outbox-db.js';
import { OutboxCounters } from '../../src/store/outbox-counters.js';

describe('store/outbox-counters', () => {
  let dir: string;
  let n = 0;
  let db: Database.Database;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'outbox-counters-test-'))));
  beforeEach(() => (db = openOutboxDb(join(dir, `c${++n}.db`), () => 1000).db));
  afterEach(() => db.close());
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('written counters survive a reopen; memory changes only on apply', () => {
    const c = new OutboxCounters(db);
    c.write(new Map([['evicted.1', 3]]));
    assert.equal(c.get('evicted.1'), 0, 'not applied yet (the transaction might still roll back)');
    c.apply(new Map([['evicted.1', 3]]));
    assert.equal(c.get('evicted.1'), 3);
    assert.deepEqual(new OutboxCounters(db).byPriority('evicted'), { alarm: 0, telemetry: 3, bulk: 0 });
  });

  it('a write rolled back with its transaction leaves the counters as they were', () => {
    const c = new OutboxCounters(db);
    assert.throws(() => db.transaction(() => {
      c.write(new Map([['expired.0', 4]]));
      throw new Error('boom');
    })());
    assert.equal(new OutboxCounters(db).get('expired.0'), 0);
  });

  const unreported: Array<[string, Array<[string, number]>, number]> = [
    ['nothing dropped', [], 0],
    ['evicted, expired and refused add up', [['evicted.2', 5], ['expired.1', 2], ['refused.0', 1]], 8],
    ['quarantined rows have their own event and do not count', [['quarantined.1', 9]], 0],
    ['what was reported is taken off', [['evicted.2', 5], ['reported', 4]], 1],
  ];
  for (const [name, values, want] of unreported) {
    it(`unreported: ${name}`, () => {
      const c = new OutboxCounters(db);
      c.apply(new Map(values));
      assert.equal(c.unreported(), want);
    });
  }
});
