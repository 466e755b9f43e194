import assert from 'node:assert/strict';
import { windowRule } from '../../../src/ingest/rules/window.js';
import { runRule } from './run-rule.js';

describe('ingest/rules/window', () => {
  it('emits count/min/max/mean/last/stddev when the next window starts', () => {
    const r = windowRule({ ms: 1000 }, 'r');
    const { out } = runRule(r, [[0, 2], [100, 4], [200, 4], [300, 4], [400, 5], [500, 5], [600, 7], [999, 9], [1000, 1]]);
    // values 2,4,4,4,5,5,7,9: mean 5, population stddev exactly 2
    assert.deepEqual(out, [[1000, 8, 'count'], [1000, 2, 'min'], [1000, 9, 'max'], [1000, 5, 'mean'], [1000, 9, 'last'], [1000, 2, 'stddev']]);
  });
  const table: [string, Record<string, unknown>, ([number, number] | ['tick', number])[], [number, number, string?][]][] = [
    ['windows aligned to the epoch, not to the first sample', { ms: 1000, stats: ['count'] }, [[1500, 1], [1999, 1], [2000, 1], [3000, 1]], [[2000, 2, 'count'], [3000, 1, 'count']]],
    ['an empty window in between emits nothing', { ms: 10, stats: ['count', 'last'] }, [[0, 1], [55, 2], [61, 3]], [[10, 1, 'count'], [10, 1, 'last'], [60, 1, 'count'], [60, 2, 'last']]],
    ['tick closes a window after the sensor went quiet', { ms: 100, stats: ['mean'] }, [[0, 1], [50, 3], ['tick', 99], ['tick', 100], ['tick', 500]], [[100, 2, 'mean']]],
    ['late sample counts into the open window', { ms: 100, stats: ['count', 'min'] }, [[150, 5], [20, 1], [200, 0]], [[200, 2, 'count'], [200, 1, 'min']]],
    ['single sample: stddev 0', { ms: 10, stats: ['stddev', 'mean'] }, [[1, 7], ['tick', 10]], [[10, 0, 'stddev'], [10, 7, 'mean']]],
  ];
  for (const [name, cfg, input, want] of table) it(name, () => assert.deepEqual(runRule(windowRule(cfg, 'r'), input).out, want));

  it('stddev stays accurate for large offsets (Welford, not sum of squares)', () => {
    const { out } = runRule(windowRule({ ms: 10, stats: ['stddev'] }, 'r'), [[0, 1e9 + 4], [1, 1e9 + 7], [2, 1e9 + 13], [3, 1e9 + 16], ['tick', 10]]);
    assert.ok(Math.abs(out[0]![1] - Math.sqrt(22.5)) < 1e-6, String(out[0]![1]));
  });
  const bad: [Record<string, unknown>, RegExp][] = [
    [{}, /"ms" is required/],
    [{ ms: 10, stats: ['median'] }, /"stats" must be a non-empty list/],
    [{ ms: 10, stats: [] }, /"stats"/],
  ];
  for (const [cfg, re] of bad) it(`rejects ${JSON.stringify(cfg)}`, () => assert.throws(() => windowRule(cfg, 'r'), re));
});
