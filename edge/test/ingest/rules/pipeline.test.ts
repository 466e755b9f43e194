import assert from 'node:assert/strict';
import { ConfigError } from '@causeway/shared';
import { compilePipeline, initPipeline, runPipeline, tickPipeline } from '../../../src/ingest/rules/pipeline.js';

describe('ingest/rules/pipeline', () => {
  it('runs rules in order: filter → scale → deadband → threshold', () => {
    const p = compilePipeline(
      [
        { type: 'filter', dropIf: { op: 'eq', value: -127 } },
        { type: 'scale', factor: 1.8, offset: 32, decimals: 1 },
        { type: 'deadband', absolute: 1 },
        { type: 'threshold', high: 100, hysteresis: 5 },
      ],
      'rules.temp',
    );
    let st = initPipeline(p);
    const outs: number[] = [];
    const events: string[] = [];
    for (const [i, c] of [20, 20.2, -127, 21, 40, 38].entries()) {
      const r = runPipeline(p, st, { ts: i, value: c });
      st = r.states;
      outs.push(...r.out.map((s) => s.value));
      events.push(...r.events.map((e) => e.event));
    }
    // 20→68, 20.2→68.4 (within 1°F), -127 dropped, 21→69.8, 40→104 (alarm), 38→100.4
    assert.deepEqual(outs, [68, 69.8, 104, 100.4]);
    assert.deepEqual(events, ['threshold']);
  });

  it('a window ticked closed feeds the rules after it', () => {
    const p = compilePipeline([{ type: 'window', ms: 100, stats: ['max', 'mean'] }, { type: 'scale', factor: 10 }], 'p');
    let st = initPipeline(p);
    for (const [ts, v] of [[0, 1], [10, 3]] as const) st = runPipeline(p, st, { ts, value: v }).states;
    const r = tickPipeline(p, st, 150);
    assert.deepEqual(r.out, [{ ts: 100, value: 30, suffix: 'max' }, { ts: 100, value: 20, suffix: 'mean' }]);
    assert.deepEqual(tickPipeline(p, r.states, 300).out, []);
  });

  it('states are not mutated (pure)', () => {
    const p = compilePipeline([{ type: 'on-change' }], 'p');
    const s0 = initPipeline(p);
    const s1 = runPipeline(p, s0, { ts: 1, value: 1 }).states;
    assert.equal(runPipeline(p, s0, { ts: 2, value: 1 }).out.length, 1, 'old state still sees no previous value');
    assert.equal(runPipeline(p, s1, { ts: 2, value: 1 }).out.length, 0);
  });

  const bad: [unknown, RegExp][] = [
    [{}, /rules\.x must be an array/],
    [[{ type: 'scale' }, { type: 'smooth' }], /rules\.x\[1\]: unknown rule type "smooth"/],
    [[{ type: 'deadband', absolute: -3 }], /rules\.x\[0\] \(deadband\): "absolute" must be/],
    [[42], /rules\.x\[0\]: a rule must be an object/],
  ];
  for (const [cfg, re] of bad) {
    it(`rejects ${JSON.stringify(cfg)} naming the rule`, () => {
      assert.throws(() => compilePipeline(cfg, 'rules.x'), (err: unknown) => err instanceof ConfigError && re.test(err.message));
    });
  }
});
