import assert from 'node:assert/strict';
import { LogThrottle, ThrottledLog } from '../../src/log/log-throttle.js';
import { createLogger } from '../../src/log/logger.js';

describe('shared/log/log-throttle', () => {
  let clock: number;
  beforeEach(() => {
    clock = 1_000_000;
  });

  it('lets `burst` lines per key and window through and reports the rest on the next window', () => {
    const t = new LogThrottle({ burst: 2, windowMs: 1000, maxKeys: 10 }, () => clock);
    const seen = Array.from({ length: 5 }, () => t.admit('a').log);
    assert.deepEqual(seen, [true, true, false, false, false]);
    assert.equal(t.admit('b').log, true, 'keys are independent');
    assert.equal(t.suppressedTotal, 3);
    clock += 1000;
    assert.deepEqual(t.admit('a'), { log: true, suppressed: 3 });
    assert.deepEqual(t.admit('a'), { log: true, suppressed: 0 });
  });

  it('drains the counts of finished windows, and of running ones at shutdown', () => {
    const t = new LogThrottle({ burst: 1, windowMs: 1000, maxKeys: 10 }, () => clock);
    for (let i = 0; i < 4; i++) t.admit('a');
    t.admit('b');
    assert.deepEqual(t.drain(), [], 'the window is still running');
    clock += 1000;
    assert.deepEqual(t.drain(), [{ key: 'a', suppressed: 3 }]);
    assert.deepEqual(t.drain(), []);
    for (let i = 0; i < 3; i++) t.admit('c');
    assert.deepEqual(t.drain(true), [{ key: 'c', suppressed: 2 }]);
  });

  it('tracks a bounded number of keys and still reports what the forgotten ones left out', () => {
    const t = new LogThrottle({ burst: 1, windowMs: 1000, maxKeys: 3 }, () => clock);
    for (let k = 0; k < 100; k++) for (let i = 0; i < 2; i++) t.admit(`src${k}`);
    assert.equal(t.trackedKeys, 3);
    const total = t.drain(true).reduce((n, x) => n + x.suppressed, 0);
    assert.equal(total, 100);
  });

  it('ThrottledLog writes the allowed lines, counts the others and flushes a summary', () => {
    const lines: string[] = [];
    let counted = 0;
    const log = new ThrottledLog(createLogger({ write: (l) => lines.push(l) }), { burst: 1, windowMs: 1000, maxKeys: 10 }, () => counted++, () => clock);
    for (let i = 0; i < 40; i++) log.warn('connect:BANNED:10.0.0.1', 'connection refused', { i });
    assert.equal(lines.length, 1);
    assert.equal(counted, 39);
    clock += 1000;
    log.flush();
    assert.equal(lines.length, 2);
    assert.deepEqual(JSON.parse(lines[1]!), { ...JSON.parse(lines[1]!), msg: 'similar log lines suppressed', about: 'connect:BANNED:10.0.0.1', suppressed: 39 });
  });
});
