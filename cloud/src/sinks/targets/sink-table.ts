import type { TransformSpec, SinkRow, ReadingRow, FieldRow } from '../transform.js';
import { copyTextLine, copyTextValue } from './copy-text.js';

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
  /** the row as one line of COPY text (the same as copyTextLine(values(row)), built without the array) */
  line(row: SinkRow): string;
}

/** `fn` remembering its last argument and result: a run of equal arguments costs one call. */
function lastOf<A, R>(fn: (a: A) => R): (a: A) => R {
  let arg: A | undefined;
  let result: R | undefined;
  let has = false;
  return (a) => {
    if (!has || a !== arg) {
      arg = a;
      result = fn(a);
      has = true;
    }
    return result as R;
  };
}

const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export function tableLayout(table: string, transform: TransformSpec): TableLayout {
  if (transform.type === 'readings') {
    const columns = ['gateway', 'batch_id', 'seq', 'device', 'stream', 'ts', 'value', 'value_text', 'unit'];
    const ddl =
      `CREATE TABLE IF NOT EXISTS ${q(table)} (gateway text NOT NULL, batch_id text NOT NULL, seq bigint NOT NULL, ` +
      'device text NOT NULL, stream text NOT NULL, ts timestamptz NOT NULL, value double precision, value_text text, unit text, ' +
      'PRIMARY KEY (gateway, batch_id, seq, ts))';
    const values = (row: SinkRow): unknown[] => {
      const r = row as ReadingRow;
      // A number goes to value; a string or boolean keeps its text in value_text (value then null).
      const num = typeof r.value === 'number' && Number.isFinite(r.value) ? r.value : null;
      const txt = r.value === null || num !== null ? null : String(r.value);
      return [r.gateway, r.batchId, r.seq, r.device, r.stream, new Date(r.ts).toISOString(), num, txt, r.unit];
    };
    // The hot path of the benchmark (sink-postgres): one string per reading, no intermediate array. The
    // readings of a batch share gateway, batch id, device, stream and mostly unit: each is escaped once.
    const gateway = lastOf(copyTextValue);
    const batchId = lastOf(copyTextValue);
    const device = lastOf(copyTextValue);
    const stream = lastOf(copyTextValue);
    const unit = lastOf(copyTextValue);
    const line = (row: SinkRow): string => {
      const r = row as ReadingRow;
      const v = r.value;
      const numeric = typeof v === 'number' && Number.isFinite(v);
      const value = numeric ? String(v) : '\\N';
      const text = v === null || numeric ? '\\N' : copyTextValue(String(v));
      return `${gateway(r.gateway)}\t${batchId(r.batchId)}\t${r.seq}\t${device(r.device)}\t${stream(r.stream)}\t${new Date(r.ts).toISOString()}\t${value}\t${text}\t${unit(r.unit)}\n`;
    };
    return { table, columns, ddl, timeColumn: 'ts', values, line };
  }
  const cols = Object.keys(transform.fields);
  const columns = ['gateway', 'batch_id', 'seq', ...cols];
  const ddl = `CREATE TABLE IF NOT EXISTS ${q(table)} (gateway text NOT NULL, batch_id text NOT NULL, seq bigint NOT NULL, ${cols.map((c) => `${q(c)} jsonb`).join(', ')}, PRIMARY KEY (gateway, batch_id, seq))`;
  const values = (row: SinkRow): unknown[] => {
    const r = row as FieldRow;
    return [r.gateway, r.batchId, r.seq, ...cols.map((c) => (r.fields[c] === null || r.fields[c] === undefined ? null : JSON.stringify(r.fields[c])))];
  };
  return { table, columns, ddl, values, line: (row) => copyTextLine(values(row)) };
}

export const quoteIdent = q;
