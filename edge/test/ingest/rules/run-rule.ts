import type { Rule, RuleEvent, Sample } from '../../../src/ingest/rules/rule.js';

/** Steps a rule over [ts, value] pairs (and `['tick', now]` entries); collects what came out. */
export function runRule(rule: Rule, input: ([number, number] | ['tick', number])[]): { out: [number, number, string?][]; events: RuleEvent[] } {
  let st = rule.init();
  const out: [number, number, string?][] = [];
  const events: RuleEvent[] = [];
  for (const [a, b] of input) {
    const r = a === 'tick' ? rule.tick!(st, b) : rule.step(st, { ts: a, value: b } as Sample);
    st = r.state;
    for (const o of r.out) out.push(o.suffix === undefined ? [o.ts, o.value] : [o.ts, o.value, o.suffix]);
    events.push(...r.events);
  }
  return { out, events };
}
