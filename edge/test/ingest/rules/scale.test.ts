import assert from 'node:assert/strict';
import { scaleRule } from '../../../src/ingest/rules/scale.js';
import { runRule } from './run-rule.js';

describe('ingest/rules/scale', () => {
  const table: [string, Record<string, unknown>, number, number][] = [
    ['identity by default', {}, 21.5, 21.5],
    ['°C → °F', { factor: 1.8, offset: 32, decimals: 2 }, 21.5, 70.7],
    ['°C → °F at -40 meets', { factor: 1.8, offset: 32 }, -40, -40],
    ['ADC counts → volts, rounded', { factor: 3.3 / 4095, decimals: 3 }, 2048, 1.65],
    ['offset only (calibration)', { offset: -0.4 }, 10, 9.6],
    ['decimals 0 rounds half away', { decimals: 0 }, 2.5, 3],
  ];
  for (const [name, cfg, vin, vout] of table) {
    it(name, () => assert.deepEqual(runRule(scaleRule(cfg, 'r'), [[1, vin]]).out, [[1, vout]]));
  }
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ factor: 'x' }, /r: "factor" must be a finite number/],
    [{ decimals: 1.5 }, /decimals/],
    [{ decimals: -1 }, /decimals/],
    [{ fator: 2 }, /unknown key "fator"/],
  ];
  for (const [cfg, re] of bad) it(`rejects ${JSON.stringify(cfg)}`, () => assert.throws(() => scaleRule(cfg, 'r'), re));
});
