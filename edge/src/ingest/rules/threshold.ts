import { ConfigError, type Severity } from '@causeway/shared';
import { type Rule, type RuleEvent, num, onlyKeys } from './rule.js';

export type ThresholdState = 'normal' | 'high' | 'low';
const SEVERITIES: readonly Severity[] = ['info', 'warning', 'alarm', 'critical'];

/**
 * Raises an event when a value goes above `high` (or below `low`) and one `<event>-cleared` when it
 * comes back past the limit by `hysteresis` — so a value hovering at the limit raises one alarm, not
 * one per sample. Samples pass through unchanged. Events go to the sink at alarm priority
 * (severity alarm/critical), ahead of bulk telemetry.
 */
export function thresholdRule(cfg: Record<string, unknown>, where: string): Rule<ThresholdState> {
  onlyKeys(cfg, ['high', 'low', 'hysteresis', 'event', 'severity'], where);
  const high = num(cfg, 'high', where);
  const low = num(cfg, 'low', where);
  const hyst = num(cfg, 'hysteresis', where, { min: 0 }) ?? 0;
  if (high === undefined && low === undefined) throw new ConfigError(`${where}: needs "high" or "low"`, { key: `${where}.high` });
  if (high !== undefined && low !== undefined && low + hyst > high - hyst) {
    throw new ConfigError(`${where}: "low" + hysteresis must be below "high" - hysteresis (low ${low}, high ${high}, hysteresis ${hyst})`, { key: `${where}.low` });
  }
  const event = cfg.event ?? 'threshold';
  if (typeof event !== 'string' || event === '') throw new ConfigError(`${where}: "event" must be a non-empty string`, { key: `${where}.event` });
  const severity = (cfg.severity ?? 'alarm') as Severity;
  if (!SEVERITIES.includes(severity)) throw new ConfigError(`${where}: "severity" must be one of ${SEVERITIES.join(', ')}`, { key: `${where}.severity` });

  return {
    name: where,
    init: () => 'normal',
    step: (state, s) => {
      const events: RuleEvent[] = [];
      let next: ThresholdState = state;
      const clear = (from: 'high' | 'low', limit: number): void => {
        events.push({ event: `${event}-cleared`, severity: 'info', ts: s.ts, data: { direction: from, value: s.value, limit } });
        next = 'normal';
      };
      if (next === 'high' && s.value <= high! - hyst) clear('high', high!);
      if (next === 'low' && s.value >= low! + hyst) clear('low', low!);
      if (next === 'normal' && high !== undefined && s.value > high) {
        next = 'high';
        events.push({ event, severity, ts: s.ts, data: { direction: 'high', value: s.value, limit: high } });
      } else if (next === 'normal' && low !== undefined && s.value < low) {
        next = 'low';
        events.push({ event, severity, ts: s.ts, data: { direction: 'low', value: s.value, limit: low } });
      }
      return { state: next, out: [s], events };
    },
  };
}
