import { ConfigError } from '@causeway/shared';
import { type Rule, num, onlyKeys } from './rule.js';

/**
 * value × factor + offset — unit conversion (°C→°F is factor 1.8, offset 32; raw ADC counts → volts).
 * `decimals` rounds the result so a conversion does not turn 21.5 into 70.69999999999999.
 */
export function scaleRule(cfg: Record<string, unknown>, where: string): Rule<null> {
  onlyKeys(cfg, ['factor', 'offset', 'decimals'], where);
  const factor = num(cfg, 'factor', where) ?? 1;
  const offset = num(cfg, 'offset', where) ?? 0;
  const decimals = num(cfg, 'decimals', where, { min: 0 });
  if (decimals !== undefined && (!Number.isInteger(decimals) || decimals > 12)) throw new ConfigError(`${where}: "decimals" must be an integer 0..12`, { key: `${where}.decimals` });
  const p = decimals === undefined ? 0 : 10 ** decimals;
  return {
    name: where,
    init: () => null,
    step: (state, s) => {
      const v = s.value * factor + offset;
      return { state, out: [{ ...s, value: decimals === undefined ? v : Math.round(v * p) / p }], events: [] };
    },
  };
}
