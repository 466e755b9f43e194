import assert from 'node:assert/strict';
import { ConfigError, silentLogger } from '@causeway/shared';
import { newIngestCounters, newSourceCounters } from '../../src/ingest/counters.js';
import { createStreamProcessor, type StreamRulesConfig } from '../../src/ingest/stream-processor.js';
import { RecordingSink } from './helpers/recording-sink.js';

const setup = (rules: StreamRulesConfig[], maxReadingBytes?: number) => {
  const sink = new RecordingSink();
  const counters = newIngestCounters();
  const src = newSourceCounters();
  const p = createStreamProcessor({ rules, sink, counters, logger: silentLogger, ...(maxReadingBytes === undefined ? {} : { maxReadingBytes }) });
  return { sink, counters, src, p };
};

describe('ingest/stream-processor', () => {
  it('streams without rules pass through with their unit; device-specific rules win over "*"', async () => {
    const { sink, src, p } = setup([
      { stream: 't', pipeline: [{ type: 'scale', factor: 2 }] },
      { device: 'd2', stream: 't', pipeline: [{ type: 'scale', factor: 3 }] },
    ]);
    await p.process('d1', [{ stream: 't', value: 1 }, { stream: 'x', value: 'on', unit: 'state' }], 100, src);
    await p.process('d2', [{ stream: 't', value: 1 }], 200, src);
    assert.deepEqual(sink.readings, [
      { device: 'd1', stream: 't', ts: 100, value: 2 },
      { device: 'd1', stream: 'x', ts: 100, value: 'on', unit: 'state' },
      { device: 'd2', stream: 't', ts: 200, value: 3 },
    ]);
    assert.equal(src.readings, 3);
  });

  it('a non-numeric value on a stream with rules is dropped and counted', async () => {
    const { sink, src, p } = setup([{ stream: 't', pipeline: [{ type: 'on-change' }] }]);
    await p.process('d', [{ stream: 't', value: 'hot' }], 1, src);
    assert.equal(sink.readings.length, 0);
    assert.deepEqual(src.drops, { 'non-numeric': 1 });
  });

  it('a value larger than maxReadingBytes never reaches the sink: dropped as oversized, the rest of the frame kept', async () => {
    const { sink, src, p } = setup([], 256);
    // resolves (no sink error): an MQTT source then sends its PUBACK instead of getting the message again
    await p.process('d', [{ stream: 'big', value: 'x'.repeat(900 * 1024) }, { stream: 't', value: 21 }, { stream: 'u', value: 1, unit: 'u'.repeat(300) }], 1, src);
    assert.deepEqual(sink.readings, [{ device: 'd', stream: 't', ts: 1, value: 21 }]);
    assert.deepEqual(src.drops, { oversized: 2 });
    assert.equal(src.readings, 1);
  });

  it('state is per device and stream', async () => {
    const { sink, src, p } = setup([{ stream: 't', pipeline: [{ type: 'on-change' }] }]);
    for (const [d, v] of [['a', 1], ['b', 1], ['a', 1], ['b', 2]] as const) await p.process(d, [{ stream: 't', value: v }], 1, src);
    assert.deepEqual(sink.readings.map((r) => `${r.device}=${String(r.value)}`), ['a=1', 'b=1', 'b=2']);
  });

  it('window statistics become <stream>.<stat> readings on tick; alarms become events at alarm priority', async () => {
    const { sink, counters, src, p } = setup([{ stream: 'v', unit: 'mm/s', pipeline: [{ type: 'threshold', high: 5 }, { type: 'window', ms: 1000, stats: ['count', 'max'] }] }]);
    await p.process('m', [{ stream: 'v', value: 2 }], 100, src);
    await p.process('m', [{ stream: 'v', value: 7 }], 200, src);
    assert.equal(sink.readings.length, 0);
    await p.tick(1000);
    assert.deepEqual(sink.readings, [
      { device: 'm', stream: 'v.count', ts: 1000, value: 2 },
      { device: 'm', stream: 'v.max', ts: 1000, value: 7, unit: 'mm/s' },
    ]);
    assert.deepEqual(sink.events, [{ device: 'm', event: 'threshold', severity: 'alarm', ts: 200, data: { direction: 'high', value: 7, limit: 5, stream: 'v' }, priority: 'alarm' }]);
    assert.equal(counters.events, 1);
  });

  it('hot reload: unchanged streams keep their state, changed ones restart, a bad rule is refused and the old rules stay', async () => {
    const keep: StreamRulesConfig = { stream: 'a', pipeline: [{ type: 'on-change' }] };
    const { sink, src, p } = setup([keep, { stream: 'b', pipeline: [{ type: 'on-change' }] }]);
    await p.process('d', [{ stream: 'a', value: 1 }, { stream: 'b', value: 1 }], 1, src);
    p.updateRules([keep, { stream: 'b', pipeline: [{ type: 'scale', factor: 10 }] }]);
    await p.process('d', [{ stream: 'a', value: 1 }, { stream: 'b', value: 1 }], 2, src);
    // a: same value, state kept → suppressed; b: new pipeline → 10
    assert.deepEqual(sink.readings.map((r) => `${r.stream}=${String(r.value)}`), ['a=1', 'b=1', 'b=10']);
    assert.throws(
      () => p.updateRules([{ stream: 'b', pipeline: [{ type: 'deadband', percent: -5 }] }]),
      (err: unknown) => err instanceof ConfigError && /ingest\.rules\[0\]\.pipeline\[0\] \(deadband\): "percent"/.test(err.message),
    );
    await p.process('d', [{ stream: 'b', value: 2 }], 3, src);
    assert.equal(sink.readings.at(-1)!.value, 20, 'old rules still in force');
  });

  it('rejects duplicate entries and missing stream names', () => {
    assert.throws(() => setup([{ stream: 't', pipeline: [] }, { device: '*', stream: 't', pipeline: [] }]), /second rules entry/);
    assert.throws(() => setup([{ stream: '', pipeline: [] }]), /ingest\.rules\[0\]\.stream/);
  });

  it('a failing sink rejects the frame and is counted', async () => {
    const { sink, counters, src, p } = setup([]);
    sink.failNext = 1;
    await assert.rejects(p.process('d', [{ stream: 't', value: 1 }], 1, src));
    assert.equal(counters.sinkErrors, 1);
  });
});
