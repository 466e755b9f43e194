import { type Severity, ConfigError } from '@causeway/shared';

/** A numeric sample moving through a stream's pipeline. */
export interface Sample {
  ts: number;
  value: number;
  /** derived streams (window statistics) name themselves: stream "temp" + suffix "mean" → "temp.mean" */
  suffix?: string;
}

/** An event a rule raises (a threshold crossed); goes to the sink as an event, not a reading. */
export interface RuleEvent {
  event: string;
  severity: Severity;
  ts: number;
  data: Record<string, unknown>;
}

export interface StepResult<S> {
  state: S;
  out: Sample[];
  events: RuleEvent[];
}

/**
 * One pre-processing rule: pure functions over an explicit per-stream state, so a rule is tested by
 * tables of (samples in → samples and events out) and a pipeline can be rebuilt on hot reload.
 */
export interface Rule<S = unknown> {
  /** where it came from in config, e.g. `rules[0].pipeline[2] (deadband)`; names it in errors and logs */
  readonly name: string;
  init(): S;
  step(state: S, sample: Sample): StepResult<S>;
  /** Time passed without a sample (a window must close even when the sensor went quiet). */
  tick?(state: S, now: number): StepResult<S>;
}

export const pass = <S>(state: S, sample: Sample): StepResult<S> => ({ state, out: [sample], events: [] });
export const none = <S>(state: S): StepResult<S> => ({ state, out: [], events: [] });

/** Config validation helpers: each throws a ConfigError that names the rule, the key and the value. */
export function num(cfg: Record<string, unknown>, key: string, where: string, opts: { min?: number; required?: boolean; exclusiveMin?: boolean } = {}): number | undefined {
  const v = cfg[key];
  if (v === undefined) {
    if (opts.required) throw new ConfigError(`${where}: "${key}" is required`, { key: `${where}.${key}` });
    return undefined;
  }
  const bad = typeof v !== 'number' || !Number.isFinite(v) || (opts.min !== undefined && (opts.exclusiveMin ? v <= opts.min : v < opts.min));
  if (bad) {
    const range = opts.min === undefined ? '' : opts.exclusiveMin ? ` > ${opts.min}` : ` >= ${opts.min}`;
    throw new ConfigError(`${where}: "${key}" must be a finite number${range}, got ${JSON.stringify(v)}`, { key: `${where}.${key}` });
  }
  return v as number;
}

export function onlyKeys(cfg: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(cfg)) {
    if (k !== 'type' && !allowed.includes(k)) throw new ConfigError(`${where}: unknown key "${k}" (allowed: ${allowed.join(', ')})`, { key: `${where}.${k}` });
  }
}
