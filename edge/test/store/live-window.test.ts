import assert from 'node:assert/strict';
import { LiveWindow, MAX_RECENT } from '../../src/store/live-window.js';

describe('store/live-window', () => {
  it('nothing committed: nothing is live', () => {
    assert.equal(new LiveWindow().liveFrom(1000, 10_000), Number.MAX_SAFE_INTEGER);
  });

  it('the first id of the oldest commit still within the window', () => {
    const w = new LiveWindow();
    w.add(1000, 1);
    w.add(5000, 10);
    w.add(9000, 20);
    assert.equal(w.liveFrom(9000, 10_000), 1);
    assert.equal(w.liveFrom(14_000, 10_000), 10);
    assert.equal(w.liveFrom(19_000, 10_000), 20);
    assert.equal(w.liveFrom(30_000, 10_000), Number.MAX_SAFE_INTEGER);
  });

  it('a clock jump moves the commits with it, so they keep their age', () => {
    const w = new LiveWindow();
    w.add(1000, 7);
    w.shift(1_000_000);
    assert.equal(w.liveFrom(1_000_000 + 5000, 10_000), 7);
  });

  it(`keeps at most ${MAX_RECENT} commits, dropping the oldest (the window only gets shorter)`, () => {
    const w = new LiveWindow();
    for (let i = 0; i < MAX_RECENT + 10; i++) w.add(1000, i + 1);
    assert.equal(w.liveFrom(1000, 10_000), 11);
  });
});
