import { type Rule, none, num, onlyKeys } from './rule.js';

/**
 * Downsample: pass a sample only if at least `ms` has passed since the last one passed. A sample with
 * an earlier timestamp than the last passed one (a device clock jump back) passes and restarts the count,
 * so a clock reset cannot mute a stream for hours.
 */
export function minIntervalRule(cfg: Record<string, unknown>, where: string): Rule<{ lastTs: number | null }> {
  onlyKeys(cfg, ['ms'], where);
  const ms = num(cfg, 'ms', where, { min: 0, exclusiveMin: true, required: true })!;
  return {
    name: where,
    init: () => ({ lastTs: null }),
    step: (state, s) => {
      if (state.lastTs === null || s.ts - state.lastTs >= ms || s.ts < state.lastTs) return { state: { lastTs: s.ts }, out: [s], events: [] };
      return none(state);
    },
  };
}
