import { ConfigError } from '@causeway/shared';
import type { Rule, RuleEvent, Sample } from './rule.js';
import { scaleRule } from './scale.js';
import { deadbandRule } from './deadband.js';
import { minIntervalRule } from './min-interval.js';
import { windowRule } from './window.js';
import { thresholdRule } from './threshold.js';
import { filterRule } from './filter.js';

export const RULE_TYPES = ['scale', 'deadband', 'on-change', 'min-interval', 'window', 'threshold', 'filter'] as const;

/** Builds one rule from config; a bad rule throws a ConfigError whose message starts with `where (type)`. */
export function compileRule(cfg: unknown, where: string): Rule {
  if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) throw new ConfigError(`${where}: a rule must be an object with a "type"`, { key: where });
  const c = cfg as Record<string, unknown>;
  const name = `${where} (${String(c.type)})`;
  switch (c.type) {
    case 'scale': return scaleRule(c, name) as Rule;
    case 'deadband': return deadbandRule(c, name) as Rule;
    case 'on-change': return deadbandRule(c, name, true) as Rule;
    case 'min-interval': return minIntervalRule(c, name) as Rule;
    case 'window': return windowRule(c, name) as Rule;
    case 'threshold': return thresholdRule(c, name) as Rule;
    case 'filter': return filterRule(c, name) as Rule;
    default:
      throw new ConfigError(`${where}: unknown rule type ${JSON.stringify(c.type)} (known: ${RULE_TYPES.join(', ')})`, { key: `${where}.type` });
  }
}

/** An ordered list of rules; the output of each feeds the next. */
export interface Pipeline {
  readonly rules: readonly Rule[];
}

export interface PipelineResult {
  states: unknown[];
  out: Sample[];
  events: RuleEvent[];
}

export function compilePipeline(cfg: unknown, where: string): Pipeline {
  if (!Array.isArray(cfg)) throw new ConfigError(`${where} must be an array of rules`, { key: where });
  return { rules: cfg.map((r, i) => compileRule(r, `${where}[${i}]`)) };
}

export function initPipeline(p: Pipeline): unknown[] {
  return p.rules.map((r) => r.init());
}

/** Feeds samples into the pipeline from rule `from` on. Pure: returns new states. */
function flow(p: Pipeline, states: unknown[], from: number, input: Sample[], events: RuleEvent[]): { states: unknown[]; out: Sample[] } {
  let batch = input;
  const next = states.slice();
  for (let i = from; i < p.rules.length && batch.length > 0; i++) {
    const rule = p.rules[i]!;
    const produced: Sample[] = [];
    for (const s of batch) {
      const r = rule.step(next[i], s);
      next[i] = r.state;
      // A derived sample keeps the suffix it got upstream unless this rule names a new one.
      for (const o of r.out) produced.push(o.suffix === undefined && s.suffix !== undefined ? { ...o, suffix: s.suffix } : o);
      events.push(...r.events);
    }
    batch = produced;
  }
  return { states: next, out: batch };
}

export function runPipeline(p: Pipeline, states: unknown[], sample: Sample): PipelineResult {
  const events: RuleEvent[] = [];
  const r = flow(p, states, 0, [sample], events);
  return { states: r.states, out: r.out, events };
}

/** Lets time-driven rules (windows) emit; what they emit flows through the rules after them. */
export function tickPipeline(p: Pipeline, states: unknown[], now: number): PipelineResult {
  const events: RuleEvent[] = [];
  let cur = states.slice();
  const out: Sample[] = [];
  for (let i = 0; i < p.rules.length; i++) {
    const rule = p.rules[i]!;
    if (!rule.tick) continue;
    const t = rule.tick(cur[i], now);
    cur[i] = t.state;
    events.push(...t.events);
    if (t.out.length === 0) continue;
    const r = flow(p, cur, i + 1, t.out, events);
    cur = r.states;
    out.push(...r.out);
  }
  return { states: cur, out, events };
}
