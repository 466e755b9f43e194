import { ConfigError } from '@causeway/shared';
import { type Rule, onlyKeys, pass, none } from './rule.js';

const OPS = ['lt', 'le', 'gt', 'ge', 'eq', 'ne', 'outside', 'inside'] as const;
type Op = (typeof OPS)[number];

/** The condition as a pure predicate. Exported for its table test. */
export function conditionHolds(op: Op, v: number, a: number, b: number): boolean {
  switch (op) {
    case 'lt': return v < a;
    case 'le': return v <= a;
    case 'gt': return v > a;
    case 'ge': return v >= a;
    case 'eq': return v === a;
    case 'ne': return v !== a;
    case 'outside': return v < a || v > b;
    case 'inside': return v >= a && v <= b;
  }
}

/**
 * Drops samples for which `dropIf` holds: `{op:"gt", value:125}` (a sensor's error code above its
 * range), `{op:"outside", min:-40, max:85}`, `{op:"eq", value:-127}` (the DS18B20 "no sensor" value).
 */
export function filterRule(cfg: Record<string, unknown>, where: string): Rule<null> {
  onlyKeys(cfg, ['dropIf'], where);
  const c = cfg.dropIf as Record<string, unknown> | undefined;
  if (c === null || typeof c !== 'object') throw new ConfigError(`${where}: "dropIf" must be an object like {"op":"gt","value":100}`, { key: `${where}.dropIf` });
  const op = c.op as Op;
  if (!OPS.includes(op)) throw new ConfigError(`${where}: dropIf.op must be one of ${OPS.join(', ')}, got ${JSON.stringify(c.op)}`, { key: `${where}.dropIf.op` });
  const isRange = op === 'outside' || op === 'inside';
  const a = isRange ? c.min : c.value;
  const b = isRange ? c.max : 0;
  if (typeof a !== 'number' || typeof b !== 'number' || !Number.isFinite(a) || !Number.isFinite(b) || (isRange && a > b)) {
    throw new ConfigError(`${where}: dropIf ${isRange ? '"min" <= "max" numbers' : '"value" number'} required for op ${op}`, { key: `${where}.dropIf` });
  }
  return { name: where, init: () => null, step: (state, s) => (conditionHolds(op, s.value, a, b) ? none(state) : pass(state, s)) };
}
