import assert from 'node:assert/strict';
import { tableLayout } from '../../../src/sinks/targets/sink-table.js';
import { copyTextLine } from '../../../src/sinks/targets/copy-text.js';
import type { ReadingRow } from '../../../src/sinks/transform.js';

describe('sinks/targets/sink-table: the table of a sink', () => {
  const readings = tableLayout('readings', { type: 'readings' });
  const base: ReadingRow = { gateway: 'gw1', device: 'th-1', stream: 'temp', ts: 1_700_000_000_000, value: 21.5, unit: 'C', seq: 7, batchId: 'b-1' };
  const rows: Array<[string, ReadingRow, unknown[]]> = [
    ['a number', base, ['gw1', 'b-1', 7, 'th-1', 'temp', '2023-11-14T22:13:20.000Z', 21.5, null, 'C']],
    ['a string (value_text)', { ...base, value: 'open\tdoor', unit: null }, ['gw1', 'b-1', 7, 'th-1', 'temp', '2023-11-14T22:13:20.000Z', null, 'open\tdoor', null]],
    ['a boolean', { ...base, value: true }, ['gw1', 'b-1', 7, 'th-1', 'temp', '2023-11-14T22:13:20.000Z', null, 'true', 'C']],
    ['null', { ...base, value: null }, ['gw1', 'b-1', 7, 'th-1', 'temp', '2023-11-14T22:13:20.000Z', null, null, 'C']],
    ['a device with a backslash', { ...base, device: 'a\\b' }, ['gw1', 'b-1', 7, 'a\\b', 'temp', '2023-11-14T22:13:20.000Z', 21.5, null, 'C']],
  ];
  for (const [what, row, want] of rows) {
    it(`readings: ${what} — values, and the fused COPY line equals the generic one`, () => {
      assert.deepEqual(readings.values(row), want);
      assert.equal(readings.line(row), copyTextLine(want));
    });
  }

  it('readings: key (gateway, batch_id, seq, ts) — ts because a hypertable needs its time column in every unique index', () => {
    assert.match(readings.ddl, /PRIMARY KEY \(gateway, batch_id, seq, ts\)/);
    assert.equal(readings.timeColumn, 'ts');
  });

  it('fields: one jsonb column per selected field, keyed on (gateway, batch_id, seq)', () => {
    const t = tableLayout('alarms', { type: 'fields', fields: { severity: 'severity', temp: 'data.temp' } });
    assert.deepEqual(t.columns, ['gateway', 'batch_id', 'seq', 'severity', 'temp']);
    assert.match(t.ddl, /"severity" jsonb, "temp" jsonb, PRIMARY KEY \(gateway, batch_id, seq\)/);
    assert.equal(t.line({ gateway: 'gw1', batchId: 'e1', seq: 0, fields: { severity: 'alarm', temp: null } }), 'gw1\te1\t0\t"alarm"\t\\N\n');
  });
});
