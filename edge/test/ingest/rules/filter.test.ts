import assert from 'node:assert/strict';
import { conditionHolds, filterRule } from '../../../src/ingest/rules/filter.js';
import { runRule } from './run-rule.js';

describe('ingest/rules/filter', () => {
  const ops: [Parameters<typeof conditionHolds>[0], number, number, number, boolean][] = [
    ['lt', 1, 2, 0, true], ['lt', 2, 2, 0, false], ['le', 2, 2, 0, true], ['gt', 3, 2, 0, true], ['gt', 2, 2, 0, false],
    ['ge', 2, 2, 0, true], ['eq', -127, -127, 0, true], ['ne', 1, 2, 0, true], ['ne', 2, 2, 0, false],
    ['outside', -41, -40, 85, true], ['outside', -40, -40, 85, false], ['outside', 86, -40, 85, true],
    ['inside', 0, -1, 1, true], ['inside', 2, -1, 1, false],
  ];
  for (const [op, v, a, b, want] of ops) it(`${op}(${v}, ${a}, ${b}) is ${want}`, () => assert.equal(conditionHolds(op, v, a, b), want));

  it('drops the DS18B20 "no sensor" value and keeps the rest', () => {
    const r = filterRule({ dropIf: { op: 'eq', value: -127 } }, 'r');
    assert.deepEqual(runRule(r, [[1, 20], [2, -127], [3, 21]]).out, [[1, 20], [3, 21]]);
  });
  it('drops out-of-range values', () => {
    const r = filterRule({ dropIf: { op: 'outside', min: -40, max: 85 } }, 'r');
    assert.deepEqual(runRule(r, [[1, -50], [2, 0], [3, 85], [4, 200]]).out, [[2, 0], [3, 85]]);
  });
  const bad: [Record<string, unknown>, RegExp][] = [
    [{}, /"dropIf" must be an object/],
    [{ dropIf: { op: 'between', value: 1 } }, /dropIf.op must be one of/],
    [{ dropIf: { op: 'gt' } }, /"value" number required/],
    [{ dropIf: { op: 'outside', min: 5, max: 1 } }, /"min" <= "max"/],
  ];
  for (const [cfg, re] of bad) it(`rejects ${JSON.stringify(cfg)}`, () => assert.throws(() => filterRule(cfg, 'r'), re));
});
