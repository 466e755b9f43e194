import assert from 'node:assert/strict';
import { carriesOldClock, ClockJump, CLOCK_JUMP_MS } from '../../src/store/clock-jump.js';

describe('store/clock-jump', () => {
  // each step: [wall ms, monotonic ms, expected jump]
  const cases: Array<[string, Array<[number, number, number]>]> = [
    ['the first look sees no jump', [[5_000_000, 0, 0]]],
    ['wall and monotonic moving together is no jump', [[1000, 0, 0], [11_000, 10_000, 0]]],
    ['drift under a minute is no jump', [[1000, 0, 0], [1000 + CLOCK_JUMP_MS - 1, 0, 0]]],
    ['NTP moving a 1970 clock to today is a forward jump', [[1000, 0, 0], [1_700_000_000_000, 500, 1_700_000_000_000 - 1000 - 500]]],
    ['a clock set back an hour is a backward jump', [[10_000_000, 0, 0], [10_000_000 - 3_600_000 + 100, 100, -3_600_000]]],
    ['a jump is seen once, then time runs on', [[1000, 0, 0], [1000 + 120_000, 0, 120_000], [1000 + 120_000 + 50, 50, 0]]],
  ];
  for (const [name, steps] of cases) {
    it(name, () => {
      let mono = 0;
      const c = new ClockJump(() => mono);
      for (const [wall, m, want] of steps) {
        mono = m;
        assert.equal(c.observe(wall), want);
      }
    });
  }

  it('an add queued before the jump carries the old clock; one queued after it does not', () => {
    const now = 1_700_000_000_000;
    const jump = now - 2000;
    assert.equal(carriesOldClock(1500, now, jump), true);
    assert.equal(carriesOldClock(now - 10, now, jump), false);
    assert.equal(carriesOldClock(now + 3_600_000 - 10, now, -3_600_000), true, 'backward: an add from before the jump is an hour ahead');
  });
});
