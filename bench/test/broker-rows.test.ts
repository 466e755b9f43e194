import assert from 'node:assert/strict';
import { median, summarizeRounds, type RoundResult } from '../lib/broker-rows.js';

const round = (value: number, cpuPerMsg: number, detail = `run at ${value}`): RoundResult => ({ value, cpuPerMsg, detail });

describe('bench broker rows over several rounds', () => {
  it('takes the median of odd and even counts and ignores NaN', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([NaN, 5]), 5);
    assert.ok(Number.isNaN(median([])));
  });

  it("reports a competitor's median, every round, and causeway's ratio to it round by round", () => {
    const ours = [round(18_000, 50), round(14_000, 70), round(16_000, 60)];
    const nats = [round(20_000, 50), round(20_000, 50), round(16_000, 60)];
    const row = summarizeRounds(nats, ours);
    assert.equal(row.value, 20_000);
    assert.match(row.detail, /^median of 3 rounds; rounds 20,000 · 20,000 · 16,000; /);
    assert.match(row.detail, /broker CPU µs\/msg 50\.0 · 50\.0 · 60\.0 \(median 50\.0\)/);
    // paired: 18/20, 14/20, 16/16 — the median of the ratios, not the ratio of the medians (16/20)
    assert.match(row.detail, /causeway ÷ this per round: 0\.90× · 0\.70× · 1\.00× \(median 0\.90×\)/);
    assert.match(row.detail, /causeway's CPU per message ÷ this per round: 1\.00× · 1\.40× · 1\.00× \(median 1\.00×\)/);
    assert.match(row.detail, /last round: run at 16000$/);
  });

  it("leaves out the ratios on causeway's own row and the CPU when it could not be read", () => {
    const row = summarizeRounds([round(10, NaN), round(30, NaN)], undefined);
    assert.equal(row.value, 20);
    assert.doesNotMatch(row.detail, /÷|CPU/);
  });
});
