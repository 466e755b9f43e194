import assert from 'node:assert/strict';
import { deadbandRule } from '../../../src/ingest/rules/deadband.js';
import { runRule } from './run-rule.js';

describe('ingest/rules/deadband', () => {
  const table: [string, Record<string, unknown>, boolean, [number, number][], [number, number][]][] = [
    ['absolute: only moves larger than the band', { absolute: 0.5 }, false, [[1, 20], [2, 20.4], [3, 20.5], [4, 20.6], [5, 21.1], [6, 20.0]], [[1, 20], [4, 20.6], [6, 20.0]]],
    ['absolute measured from the last PASSED value, not the last seen', { absolute: 1 }, false, [[1, 10], [2, 10.6], [3, 11.2], [4, 11.8]], [[1, 10], [3, 11.2]]],
    ['percent of the last passed value', { percent: 10 }, false, [[1, 100], [2, 109], [3, 111], [4, 100], [5, 99]], [[1, 100], [3, 111], [5, 99]]],
    ['percent around zero: any change passes', { percent: 5 }, false, [[1, 0], [2, 0], [3, 0.001]], [[1, 0], [3, 0.001]]],
    ['either band passes', { absolute: 5, percent: 1 }, false, [[1, 100], [2, 100.5], [3, 102]], [[1, 100], [3, 102]]],
    ['heartbeat re-sends a flat value', { absolute: 1, heartbeatMs: 1000 }, false, [[0, 5], [500, 5], [999, 5], [1000, 5], [1500, 5], [2100, 5]], [[0, 5], [1000, 5], [2100, 5]]],
    ['on-change passes every change and nothing else', {}, true, [[1, 1], [2, 1], [3, 2], [4, 2], [5, 1]], [[1, 1], [3, 2], [5, 1]]],
    ['on-change with heartbeat', { heartbeatMs: 10 }, true, [[0, 1], [5, 1], [10, 1], [11, 1]], [[0, 1], [10, 1]]],
  ];
  for (const [name, cfg, onChange, input, want] of table) {
    it(name, () => assert.deepEqual(runRule(deadbandRule(cfg, 'r', onChange), input).out, want));
  }
  const bad: [Record<string, unknown>, RegExp][] = [
    [{}, /needs "absolute" or "percent"/],
    [{ absolute: -1 }, /"absolute" must be a finite number >= 0/],
    [{ percent: 'x' }, /"percent"/],
    [{ absolute: 1, heartbeatMs: 0 }, /"heartbeatMs" must be a finite number > 0/],
  ];
  for (const [cfg, re] of bad) it(`rejects ${JSON.stringify(cfg)}`, () => assert.throws(() => deadbandRule(cfg, 'r'), re));
});
