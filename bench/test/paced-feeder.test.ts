import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { dueBy, feedLines } from '../lib/paced-feeder.js';

describe('bench paced-feeder', () => {
  const cases: Array<[number, number, number]> = [
    // elapsed ms, rate/s, lines due
    [0, 10, 1],
    [99, 10, 1],
    [100, 10, 2],
    [1000, 10, 11],
    [5, 1000, 6],
    [30_000, 1000, 30_001],
  ];
  for (const [elapsed, rate, want] of cases) {
    it(`dueBy(${elapsed} ms, ${rate}/s) = ${want}`, () => assert.equal(dueBy(elapsed, rate), want));
  }

  it('writes about rate × duration numbered lines, and stops early when asked', async function () {
    this.timeout(5000);
    const out = new PassThrough();
    const got: string[] = [];
    out.on('data', (b: Buffer) => got.push(...String(b).split('\n').filter((l) => l !== '')));
    const r = await feedLines(out, (seq) => `line ${seq}`, { rate: 200, durationMs: 500 });
    // the count follows the wall clock, so a late timer on a loaded box lowers it only by the last tick
    assert.ok(r.sent >= 50 && r.sent <= 101, `sent ${r.sent}`);
    await new Promise((res) => setImmediate(res));
    assert.equal(got.length, r.sent);
    assert.deepEqual(got.slice(0, 3), ['line 0', 'line 1', 'line 2']);
    let calls = 0;
    const early = await feedLines(new PassThrough(), (seq) => String(seq), { rate: 100, durationMs: 5000, until: () => ++calls > 3 });
    assert.ok(early.wallMs < 1000, `stopped after ${early.wallMs} ms`);
  });
});
