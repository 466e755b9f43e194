import { CausewayError, validateId } from '@causeway/shared';
import type { RegistryEntry } from '../identity/registry/contract.js';

/**
 * Rows of a bulk import (issue 20: `POST /v1/devices:batch`, `causeway devices import fleet.csv`):
 * every row is checked before anything is written, and every bad row is reported with its line.
 */
export interface DeviceRow {
  /** line in the operator's file (or position in the request, from 1) */
  line: number;
  id: string;
  kind: 'gateway' | 'device';
  groups: string[];
  tags: Record<string, string>;
  gateway?: string;
}

export interface RowError {
  line: number;
  id?: string;
  message: string;
}

export const MAX_BATCH_ROWS = 10_000;

/** A refused batch: code BATCH_INVALID (HTTP 400), every bad row in `details.rows`. */
export class BatchError extends CausewayError {
  override name = 'BatchError';
  readonly details: { rows: RowError[] };
  constructor(rows: RowError[]) {
    const first = rows.slice(0, 3).map((r) => `line ${r.line}: ${r.message}`).join('; ');
    super('BATCH_INVALID', `${rows.length} bad row${rows.length === 1 ? '' : 's'}, nothing written (${first}${rows.length > 3 ? '; …' : ''})`);
    this.details = { rows };
  }
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const KNOWN = new Set(['line', 'id', 'kind', 'groups', 'tags', 'gateway']);

function idProblem(v: unknown, what: string): string | undefined {
  try {
    validateId(v, what);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Pure: the rows, or every problem found (bad fields, duplicate ids within the batch). */
export function validateDeviceRows(raw: unknown): { rows: DeviceRow[]; errors: RowError[] } {
  if (!Array.isArray(raw)) return { rows: [], errors: [{ line: 0, message: 'devices must be an array' }] };
  if (raw.length > MAX_BATCH_ROWS) return { rows: [], errors: [{ line: 0, message: `at most ${MAX_BATCH_ROWS} rows per batch, got ${raw.length}` }] };
  const rows: DeviceRow[] = [];
  const errors: RowError[] = [];
  const seen = new Map<string, number>();
  raw.forEach((r, i) => {
    const line = isObj(r) && Number.isSafeInteger(r.line) && (r.line as number) > 0 ? (r.line as number) : i + 1;
    const bad = (message: string): void => void errors.push({ line, ...(isObj(r) && typeof r.id === 'string' ? { id: r.id } : {}), message });
    if (!isObj(r)) return bad('must be an object');
    const unknown = Object.keys(r).filter((k) => !KNOWN.has(k));
    if (unknown.length > 0) return bad(`unknown field ${unknown.join(', ')} (fields: id, kind, groups, tags, gateway)`);
    const p = idProblem(r.id, 'id');
    if (p !== undefined) return bad(p);
    const id = r.id as string;
    const kind = r.kind ?? 'gateway';
    if (kind !== 'gateway' && kind !== 'device') return bad(`kind must be gateway or device, got ${JSON.stringify(kind)}`);
    const groups = r.groups ?? [];
    if (!Array.isArray(groups)) return bad('groups must be an array of names');
    for (const g of groups) {
      const gp = idProblem(g, 'group name');
      if (gp !== undefined) return bad(gp);
    }
    const tags = r.tags ?? {};
    if (!isObj(tags) || !Object.values(tags).every((v) => typeof v === 'string')) return bad('tags must be an object of strings');
    if (r.gateway !== undefined) {
      const gp = idProblem(r.gateway, 'gateway id');
      if (gp !== undefined) return bad(gp);
    }
    const before = seen.get(id);
    if (before !== undefined) return bad(`id ${id} is also on line ${before}`);
    seen.set(id, line);
    rows.push({ line, id, kind, groups: groups as string[], tags: tags as Record<string, string>, ...(r.gateway === undefined ? {} : { gateway: r.gateway as string }) });
  });
  return { rows, errors };
}

function sameEntry(row: DeviceRow, e: RegistryEntry): boolean {
  const tags = (t: Record<string, string>): string => JSON.stringify(Object.entries(t).sort(([a], [b]) => (a < b ? -1 : 1)));
  return e.kind === row.kind && e.gateway === row.gateway && JSON.stringify([...e.groups].sort()) === JSON.stringify([...row.groups].sort()) && tags(e.tags) === tags(row.tags);
}

/**
 * Pure: what an import does against the registry. A row whose id exists with the same kind, groups, tags
 * and gateway is unchanged (re-running an import changes nothing); one that exists differently is an
 * error (the import does not edit entries: update them one by one, or delete and import).
 */
export function planImport(rows: readonly DeviceRow[], existing: ReadonlyMap<string, RegistryEntry>): { create: DeviceRow[]; unchanged: DeviceRow[]; errors: RowError[] } {
  const create: DeviceRow[] = [];
  const unchanged: DeviceRow[] = [];
  const errors: RowError[] = [];
  for (const r of rows) {
    const e = existing.get(r.id);
    if (e === undefined) create.push(r);
    else if (sameEntry(r, e)) unchanged.push(r);
    else errors.push({ line: r.line, id: r.id, message: `${r.id} exists as a ${e.kind} with other groups, tags or gateway` });
  }
  return { create, unchanged, errors };
}
