import { tryDecodeEnvelope, tryParseTopic, type Envelope, type ReadingValue } from '@causeway/shared';

/**
 * What a sink makes of a queue message: declarative, no user code (issue 21).
 * - `readings`: each reading of a `batch` envelope (or a single `reading`) becomes one row
 *   {gateway, device, stream, ts, value, unit, seq, batchId}.
 * - `fields`: one row per envelope (an event, typically) with the columns it names, each read from a
 *   dotted path of the envelope (`severity`, `data.temp`), absent → null.
 * Every row carries the key (gateway, batchId, seq) that makes a redelivery idempotent: the gateway
 * comes from the topic (which the ACL checked), never from the payload; batchId is the envelope id.
 */
export type TransformSpec = { type: 'readings' } | { type: 'fields'; fields: Record<string, string> };

export interface ReadingRow {
  gateway: string;
  device: string;
  stream: string;
  /** sample time, ms since the epoch */
  ts: number;
  value: ReadingValue;
  unit: string | null;
  seq: number;
  batchId: string;
}

export interface FieldRow {
  gateway: string;
  batchId: string;
  /** 0: one row per envelope */
  seq: number;
  fields: Record<string, unknown>;
}

export type SinkRow = ReadingRow | FieldRow;

export type TransformResult = { ok: true; rows: SinkRow[] } | { ok: false; code: string; reason: string };

const COLUMN = /^[a-z_][a-z0-9_]{0,62}$/;
/** Key columns every table has; a field selection may not reuse them. */
export const KEY_COLUMNS = ['gateway', 'batch_id', 'seq'];
const PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Checks a transform as written in the config; `at` names it in errors. Pure. */
export function parseTransform(v: unknown, at: string): TransformSpec {
  if (v === undefined) return { type: 'readings' };
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${at} must be {type: "readings"} or {type: "fields", fields: {column: "path"}}`);
  const o = v as Record<string, unknown>;
  if (o.type === 'readings') {
    if (Object.keys(o).length !== 1) throw new Error(`${at}: a readings transform takes no other key`);
    return { type: 'readings' };
  }
  if (o.type !== 'fields') throw new Error(`${at}.type must be readings or fields, got ${JSON.stringify(o.type)}`);
  for (const k of Object.keys(o)) if (k !== 'type' && k !== 'fields') throw new Error(`${at}: unknown key "${k}" (allowed: type, fields)`);
  const f = o.fields;
  if (f === null || typeof f !== 'object' || Array.isArray(f) || Object.keys(f).length === 0) throw new Error(`${at}.fields must be a non-empty object {column: "dotted.path"}`);
  const fields: Record<string, string> = {};
  for (const [col, path] of Object.entries(f as Record<string, unknown>)) {
    if (!COLUMN.test(col) || KEY_COLUMNS.includes(col)) throw new Error(`${at}.fields: column "${col}" must be a lower-case SQL name other than ${KEY_COLUMNS.join(', ')}`);
    if (typeof path !== 'string' || !PATH.test(path)) throw new Error(`${at}.fields.${col} must be a dotted path into the envelope (e.g. "severity", "data.temp"), got ${JSON.stringify(path)}`);
    fields[col] = path;
  }
  return { type: 'fields', fields };
}

/** The value at a dotted path of a JSON-like value; undefined when any step is missing. Own keys only. */
export function valueAt(x: unknown, path: string): unknown {
  let cur: unknown = x;
  for (const step of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, step)) return undefined;
    cur = (cur as Record<string, unknown>)[step];
  }
  return cur;
}

function gatewayOf(topic: string): string | undefined {
  const t = tryParseTopic(topic);
  return t !== undefined && 'gateway' in t ? t.gateway : undefined;
}

/** Rows of one decoded envelope published on `topic`. Pure. */
export function envelopeRows(spec: TransformSpec, topic: string, env: Envelope): TransformResult {
  const gateway = gatewayOf(topic);
  if (gateway === undefined) return { ok: false, code: 'SINK_TOPIC', reason: `topic ${topic} names no gateway` };
  if (spec.type === 'readings') {
    if (env.type === 'batch') {
      const { id, device, stream } = env;
      return { ok: true, rows: env.readings.map((r) => ({ gateway, device, stream, ts: r.ts, value: r.value, unit: r.unit ?? null, seq: r.seq, batchId: id })) };
    }
    if (env.type === 'reading') return { ok: true, rows: [{ gateway, device: env.device, stream: env.stream, ts: env.ts, value: env.value, unit: env.unit ?? null, seq: env.seq, batchId: env.id }] };
    return { ok: false, code: 'SINK_WRONG_ENVELOPE', reason: `a readings transform takes batch or reading envelopes, got ${env.type}` };
  }
  const id = 'id' in env && typeof env.id === 'string' ? env.id : undefined;
  if (id === undefined) return { ok: false, code: 'SINK_WRONG_ENVELOPE', reason: `a ${env.type} envelope has no id to key its row on` };
  const fields: Record<string, unknown> = {};
  for (const [col, path] of Object.entries(spec.fields)) fields[col] = valueAt(env, path) ?? null;
  return { ok: true, rows: [{ gateway, batchId: id, seq: 0, fields }] };
}

/** Rows of one queue message (its payload decoded with the wire codecs). Pure. */
export function messageRows(spec: TransformSpec, topic: string, payload: Uint8Array): TransformResult {
  const d = tryDecodeEnvelope(payload);
  if (!d.ok) return { ok: false, code: d.error.code, reason: d.error.message };
  return envelopeRows(spec, topic, d.envelope);
}
