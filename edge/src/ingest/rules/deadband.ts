import { ConfigError } from '@causeway/shared';
import { type Rule, none, num, onlyKeys } from './rule.js';

export interface DeadbandState {
  /** last value passed on, and when */
  last: number | null;
  lastTs: number;
}

/**
 * Report by exception: a sample passes only if it differs from the last one passed by MORE than
 * `absolute`, or by more than `percent` % of that last value, or if `heartbeatMs` has elapsed since
 * the last one passed (so a flat line still shows the sensor is alive). `absolute: 0` is plain
 * report-on-change. The first sample always passes. With both bands, crossing either passes.
 */
export function deadbandRule(cfg: Record<string, unknown>, where: string, onChange = false): Rule<DeadbandState> {
  onlyKeys(cfg, onChange ? ['heartbeatMs'] : ['absolute', 'percent', 'heartbeatMs'], where);
  const absolute = onChange ? 0 : num(cfg, 'absolute', where, { min: 0 });
  const percent = onChange ? undefined : num(cfg, 'percent', where, { min: 0 });
  const heartbeat = num(cfg, 'heartbeatMs', where, { min: 0, exclusiveMin: true });
  if (absolute === undefined && percent === undefined) throw new ConfigError(`${where}: needs "absolute" or "percent"`, { key: `${where}.absolute` });
  return {
    name: where,
    init: () => ({ last: null, lastTs: 0 }),
    step: (state, s) => {
      const passed = { state: { last: s.value, lastTs: s.ts }, out: [s], events: [] };
      if (state.last === null) return passed;
      const delta = Math.abs(s.value - state.last);
      if (absolute !== undefined && delta > absolute) return passed;
      if (percent !== undefined && delta > (Math.abs(state.last) * percent) / 100) return passed;
      if (heartbeat !== undefined && s.ts - state.lastTs >= heartbeat) return passed;
      return none(state);
    },
  };
}
