import type { TransformSpec, SinkRow, ReadingRow, FieldRow } from '../transform.js';

/**
 * The PostgreSQL table of a sink: its columns and DDL follow from the transform. Every table has the key
 * (gateway, batch_id, seq), the idempotence key of issue 21; a readings table also has `ts` in it, because
 * a TimescaleDB hypertable must have its time column in every unique index (ts is part of the reading, so
 * a redelivered reading has the same key). Names are checked by the config (lower-case SQL names) and are
 * quoted all the same. Pure.
 */
export interface TableLayout {
  table: string;
  columns: string[];
  ddl: string;
  /** hypertable time column (readings only) */
  timeColumn?: string;
  values(row: SinkRow): unknown[];
}

const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export function tableLayout(table: string, transform: TransformSpec): TableLayout {
  if (transform.type === 'readings') {
    const columns = ['gateway', 'batch_id', 'seq', 'device', 'stream', 'ts', 'value', 'value_text', 'unit'];
    const ddl =
      `CREATE TABLE IF NOT EXISTS ${q(table)} (gateway text NOT NULL, batch_id text NOT NULL, seq bigint NOT NULL, ` +
      'device text NOT NULL, stream text NOT NULL, ts timestamptz NOT NULL, value double precision, value_text text, unit text, ' +
      'PRIMARY KEY (gateway, batch_id, seq, ts))';
    return {
      table,
      columns,
      ddl,
      timeColumn: 'ts',
      values: (row) => {
        const r = row as ReadingRow;
        // A number goes to value; a string or boolean keeps its text in value_text (value then null).
        const num = typeof r.value === 'number' && Number.isFinite(r.value) ? r.value : null;
        const txt = r.value === null || num !== null ? null : String(r.value);
        return [r.gateway, r.batchId, r.seq, r.device, r.stream, new Date(r.ts).toISOString(), num, txt, r.unit];
      },
    };
  }
  const cols = Object.keys(transform.fields);
  const columns = ['gateway', 'batch_id', 'seq', ...cols];
  const ddl = `CREATE TABLE IF NOT EXISTS ${q(table)} (gateway text NOT NULL, batch_id text NOT NULL, seq bigint NOT NULL, ${cols.map((c) => `${q(c)} jsonb`).join(', ')}, PRIMARY KEY (gateway, batch_id, seq))`;
  return {
    table,
    columns,
    ddl,
    values: (row) => {
      const r = row as FieldRow;
      return [r.gateway, r.batchId, r.seq, ...cols.map((c) => (r.fields[c] === null || r.fields[c] === undefined ? null : JSON.stringify(r.fields[c])))];
    },
  };
}

export const quoteIdent = q;
