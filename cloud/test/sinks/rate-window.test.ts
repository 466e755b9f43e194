import assert from 'node:assert/strict';
import { RateWindow } from '../../src/sinks/rate-window.js';

describe('sinks/rate-window', () => {
  it('averages over the window and forgets what is older', () => {
    const w = new RateWindow(10_000);
    w.add(100, 1_000);
    w.add(50, 5_500);
    assert.equal(w.perSecond(6_000), 15);
    assert.equal(w.perSecond(11_999), 5, 'the first second left the window');
    assert.equal(w.perSecond(20_000), 0);
  });
});
