import assert from 'node:assert/strict';
import { minIntervalRule } from '../../../src/ingest/rules/min-interval.js';
import { runRule } from './run-rule.js';

describe('ingest/rules/min-interval', () => {
  const table: [string, number, [number, number][], [number, number][]][] = [
    ['10 Hz down to 2 Hz', 500, [0, 100, 200, 300, 400, 500, 600, 900, 1000, 1100].map((t, i) => [t, i]), [[0, 0], [500, 5], [1000, 8]]],
    ['exact interval passes', 10, [[0, 1], [10, 2], [20, 3]], [[0, 1], [10, 2], [20, 3]]],
    ['clock jump back restarts', 1000, [[5000, 1], [5100, 2], [100, 3], [200, 4], [1100, 5]], [[5000, 1], [100, 3], [1100, 5]]],
  ];
  for (const [name, ms, input, want] of table) it(name, () => assert.deepEqual(runRule(minIntervalRule({ ms }, 'r'), input).out, want));
  it('rejects a missing or zero interval', () => {
    assert.throws(() => minIntervalRule({}, 'rules[0]'), /rules\[0\]: "ms" is required/);
    assert.throws(() => minIntervalRule({ ms: 0 }, 'r'), /> 0/);
  });
});
