import assert from 'node:assert/strict';
import { hypertable, type Queryable } from '../../../src/sinks/targets/hypertable.js';
import { tableLayout } from '../../../src/sinks/targets/sink-table.js';

/** A client that records the statements and answers the extension check as scripted. */
function client(timescale: boolean): Queryable & { calls: Array<[string, unknown[] | undefined]> } {
  const calls: Array<[string, unknown[] | undefined]> = [];
  return {
    calls,
    async query(sql, params) {
      calls.push([sql, params]);
      return { rowCount: sql.includes('pg_extension') ? (timescale ? 1 : 0) : 1 };
    },
  };
}

/**
 * TimescaleDB detection (issue 21). Unit tests only: Debian ships no timescaledb package, so the real
 * PostgreSQL of the e2e tests (cloud e2e 50) never has the extension and only covers the plain-table branch.
 */
describe('sinks/targets/hypertable: a readings table becomes a hypertable when TimescaleDB is there', () => {
  const readings = tableLayout('sink_pg', { type: 'readings' });

  it('the extension installed: create_hypertable on ts, idempotent, migrating rows already there', async () => {
    const c = client(true);
    assert.equal(await hypertable(c, readings), true);
    assert.equal(c.calls.length, 2);
    assert.match(c.calls[1]![0], /^SELECT create_hypertable\(\$1::regclass, \$2::name, if_not_exists => TRUE, migrate_data => TRUE\)$/);
    assert.deepEqual(c.calls[1]![1], ['"sink_pg"', 'ts']);
  });

  it('no extension: a plain table, nothing but the check', async () => {
    const c = client(false);
    assert.equal(await hypertable(c, readings), false);
    assert.deepEqual(c.calls.map(([sql]) => sql), ["SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'"]);
  });

  it('a fields table has no time column: never a hypertable, not even asked', async () => {
    const c = client(true);
    assert.equal(await hypertable(c, tableLayout('sink_ev', { type: 'fields', fields: { event: 'event' } })), false);
    assert.deepEqual(c.calls, []);
  });
});
