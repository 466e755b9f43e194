import assert from 'node:assert/strict';
import { thresholdRule } from '../../../src/ingest/rules/threshold.js';
import { runRule } from './run-rule.js';

describe('ingest/rules/threshold', () => {
  const table: [string, Record<string, unknown>, number[], string[]][] = [
    ['one alarm while above, cleared with hysteresis', { high: 80, hysteresis: 2 }, [70, 81, 85, 79, 78.5, 78, 90], ['threshold:high@81', 'threshold-cleared:high@78', 'threshold:high@90']],
    ['hovering at the limit raises one alarm', { high: 80, hysteresis: 1 }, [80.1, 79.9, 80.2, 79.5, 80.3], ['threshold:high@80.1']],
    ['equal to the limit is not above it', { high: 80 }, [80, 80], []],
    ['low limit', { low: 5, hysteresis: 1, event: 'too-cold' }, [6, 4, 5.5, 6, 3], ['too-cold:low@4', 'too-cold-cleared:low@6', 'too-cold:low@3']],
    ['jump from high straight to low', { high: 10, low: 0 }, [11, -1], ['threshold:high@11', 'threshold-cleared:high@-1', 'threshold:low@-1']],
  ];
  for (const [name, cfg, values, want] of table) {
    it(name, () => {
      const { out, events } = runRule(thresholdRule(cfg, 'r'), values.map((v, i) => [i, v]));
      assert.equal(out.length, values.length, 'samples pass through');
      assert.deepEqual(events.map((e) => `${e.event}:${String(e.data.direction)}@${String(e.data.value)}`), want);
    });
  }
  it('alarm severity by default, cleared as info, configurable', () => {
    const { events } = runRule(thresholdRule({ high: 1, severity: 'critical' }, 'r'), [[1, 2], [2, 0]]);
    assert.deepEqual(events.map((e) => e.severity), ['critical', 'info']);
    assert.equal(runRule(thresholdRule({ high: 1 }, 'r'), [[1, 2]]).events[0]!.severity, 'alarm');
  });
  const bad: [Record<string, unknown>, RegExp][] = [
    [{}, /needs "high" or "low"/],
    [{ high: 10, low: 9, hysteresis: 1 }, /must be below/],
    [{ high: 1, severity: 'loud' }, /"severity"/],
    [{ high: 1, hysteresis: -1 }, /"hysteresis"/],
  ];
  for (const [cfg, re] of bad) it(`rejects ${JSON.stringify(cfg)}`, () => assert.throws(() => thresholdRule(cfg, 'r'), re));
});
