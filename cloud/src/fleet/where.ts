import { CausewayError } from '@causeway/shared';

/**
 * The `where` filter of `GET /v1/gateways` and `causeway gateways list --where` (issue 20): a small,
 * safe language — no functions, no nesting, no regular expressions — that a pure parser turns into a
 * list of comparisons, all of which must hold (`and` or `,` between them).
 *
 *   backlog>10000 and offline>1h
 *   version<1.4.0, diskFree<500MB
 *   online=false and group=north
 *
 * Fields and their values (docs/api.md, "Fleet health"):
 * - durations (`offline`, `oldest`, `uptime`, `clockSkew`): a number with s, m, h or d (bare = seconds)
 * - sizes (`backlogBytes`, `diskFree`, `memFree`): a number with B, KB, MB, GB (1024-based; bare = bytes)
 * - counts (`backlog`, `evictions`, `expiries`, `configVersion`): a whole number
 * - `version`: dotted numbers (1.4.0), compared part by part
 * - `online`: true or false; `id`, `group`: a name, with = or != only
 */

export type WhereOp = '<' | '<=' | '>' | '>=' | '=' | '!=';
type Kind = 'duration' | 'size' | 'count' | 'version' | 'bool' | 'name';

export const WHERE_FIELDS: Readonly<Record<string, Kind>> = Object.freeze({
  offline: 'duration',
  oldest: 'duration',
  uptime: 'duration',
  clockSkew: 'duration',
  backlog: 'count',
  backlogBytes: 'size',
  diskFree: 'size',
  memFree: 'size',
  evictions: 'count',
  expiries: 'count',
  configVersion: 'count',
  version: 'version',
  online: 'bool',
  id: 'name',
  group: 'name',
});

export type WhereValue = number | boolean | string | number[];

export interface WhereClause {
  field: string;
  op: WhereOp;
  /** seconds for durations, bytes for sizes, parts for versions */
  value: WhereValue;
}

/** What a clause is compared with: one gateway as the fleet view sees it (fleet-view.ts). */
export interface WhereSubject {
  id: string;
  groups: readonly string[];
  online: boolean;
  /** the rest: undefined when the gateway has not reported it (such a clause does not match) */
  values: Partial<Record<string, number | number[]>>;
}

export const WHERE_MAX_LENGTH = 500;
export const WHERE_MAX_CLAUSES = 16;

export class WhereError extends CausewayError {
  override name = 'WhereError';
  constructor(message: string) {
    super('WHERE_INVALID', message);
  }
}

const DURATION: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };
const SIZE: Record<string, number> = { '': 1, b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };
const CLAUSE = /^([A-Za-z]+)\s*(<=|>=|!=|<|>|=)\s*(\S+)$/;

function unitValue(raw: string, units: Record<string, number>, field: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)([A-Za-z]*)$/.exec(raw);
  const mult = m === null ? undefined : units[m[2]!.toLowerCase()];
  if (m === null || mult === undefined) throw new WhereError(`${field}: "${raw}" is not a ${what} (e.g. ${what === 'duration' ? '90s, 15m, 1h, 2d' : '512KB, 500MB, 2GB'})`);
  return Number(m[1]) * mult;
}

function parseValue(field: string, kind: Kind, op: WhereOp, raw: string): WhereValue {
  if ((kind === 'bool' || kind === 'name') && op !== '=' && op !== '!=') throw new WhereError(`${field} takes = or != only, not ${op}`);
  switch (kind) {
    case 'duration':
      return unitValue(raw, DURATION, field, 'duration');
    case 'size':
      return unitValue(raw, SIZE, field, 'size');
    case 'count':
      if (!/^\d{1,15}$/.test(raw)) throw new WhereError(`${field}: "${raw}" is not a whole number`);
      return Number(raw);
    case 'version':
      if (!/^\d{1,9}(\.\d{1,9}){0,3}$/.test(raw)) throw new WhereError(`${field}: "${raw}" is not a version (dotted numbers, e.g. 1.4.0)`);
      return raw.split('.').map(Number);
    case 'bool':
      if (raw !== 'true' && raw !== 'false') throw new WhereError(`${field}: "${raw}" is not true or false`);
      return raw === 'true';
    case 'name':
      if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(raw)) throw new WhereError(`${field}: "${raw}" is not a name (letters, digits, _ . : -)`);
      return raw;
  }
}

/**
 * Parses a where expression; throws WhereError (code WHERE_INVALID, HTTP 400) naming the clause and
 * what was expected. An empty expression is no filter. Pure.
 *
 * @example
 * parseWhere('backlog>1000 and offline>1h') // [{field:'backlog',op:'>',value:1000},{field:'offline',op:'>',value:3600}]
 */
export function parseWhere(expr: string): WhereClause[] {
  if (expr.length > WHERE_MAX_LENGTH) throw new WhereError(`the expression is longer than ${WHERE_MAX_LENGTH} characters`);
  const text = expr.trim();
  if (text === '') return [];
  const parts = text.split(/\s*,\s*|\s+and\s+/i);
  if (parts.length > WHERE_MAX_CLAUSES) throw new WhereError(`at most ${WHERE_MAX_CLAUSES} clauses`);
  return parts.map((part) => {
    const m = CLAUSE.exec(part);
    if (m === null) throw new WhereError(`"${part}" is not a clause: FIELD OP VALUE, with OP one of < <= > >= = != (e.g. backlog>1000)`);
    const [, field, op, raw] = m as unknown as [string, string, WhereOp, string];
    const kind = Object.hasOwn(WHERE_FIELDS, field) ? WHERE_FIELDS[field] : undefined;
    if (kind === undefined) throw new WhereError(`unknown field "${field}" (fields: ${Object.keys(WHERE_FIELDS).join(', ')})`);
    return { field, op, value: parseValue(field, kind, op, raw) };
  });
}

function cmp(a: number | number[], b: number | number[]): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = a as number[];
  const y = b as number[];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function holds(op: WhereOp, d: number): boolean {
  switch (op) {
    case '<':
      return d < 0;
    case '<=':
      return d <= 0;
    case '>':
      return d > 0;
    case '>=':
      return d >= 0;
    case '=':
      return d === 0;
    case '!=':
      return d !== 0;
  }
}

/** Does a gateway satisfy every clause. A clause on a value the gateway never reported does not hold. Pure. */
export function matchesWhere(s: WhereSubject, clauses: readonly WhereClause[]): boolean {
  return clauses.every((c) => {
    if (c.field === 'online') return (s.online === c.value) === (c.op === '=');
    if (c.field === 'id') return (s.id === c.value) === (c.op === '=');
    if (c.field === 'group') return s.groups.includes(c.value as string) === (c.op === '=');
    const v = s.values[c.field];
    return v !== undefined && holds(c.op, cmp(v, c.value as number | number[]));
  });
}
