import assert from 'node:assert/strict';
import { configReportRecord, eventRecord, ownEventRecord, readingRecord, recordBytes, resultRecord, ROW_OVERHEAD, type NewRecord } from '../../src/store/record-topics.js';
import { decodeEnvelopeBody, decodeEventBody, decodeReadingBody } from '../../src/store/record-codec.js';

describe('store/record-topics', () => {
  const head = (r: NewRecord) => [r.kind, r.topic, r.device, r.stream, r.priority];

  const cases: Array<[string, () => NewRecord, unknown[]]> = [
    ['a reading on telemetry/{gw}/{device}/{stream}, telemetry rank', () => readingRecord('gw', { device: 'd1', stream: 't', ts: 1, value: 2 }, 8192), ['reading', 'telemetry/gw/d1/t', 'd1', 't', 1]],
    ['a bulk reading keeps its priority', () => readingRecord('gw', { device: 'd1', stream: 't', ts: 1, value: 2, priority: 'bulk' }, 8192), ['reading', 'telemetry/gw/d1/t', 'd1', 't', 2]],
    ['an info event on events/{gw}/{device}/{event}, telemetry rank', () => eventRecord('gw', { device: 'd1', event: 'door', severity: 'info', ts: 1 }), ['event', 'events/gw/d1/door', 'd1', 'door', 1]],
    ['an alarm event ranks with alarms', () => eventRecord('gw', { device: 'd1', event: 'door', severity: 'alarm', ts: 1 }), ['event', 'events/gw/d1/door', 'd1', 'door', 0]],
    ['a critical event with a bulk priority stays bulk', () => eventRecord('gw', { device: 'd1', event: 'door', severity: 'critical', ts: 1, priority: 'bulk' }), ['event', 'events/gw/d1/door', 'd1', 'door', 2]],
    ['a command result on cmd-result/{gw}/{device}/{id}, alarm rank', () => resultRecord('gw', { v: 1, type: 'command-result', id: 'r1', commandId: 'c1', gateway: 'gw', device: 'd1', status: 'SUCCEEDED', ts: 5 }), ['envelope', 'cmd-result/gw/d1/c1', 'd1', 'command-result', 0]],
    ['a config report on config-reported/{gw}, alarm rank', () => configReportRecord('gw', { v: 1, type: 'config-reported', id: 'cr1', gateway: 'gw', version: 3, status: 'APPLIED', ts: 6 }), ['envelope', 'config-reported/gw', 'gw', 'config-reported', 0]],
    ['an event about the agent itself is the gateway\'s', () => ownEventRecord('gw', 'outbox-eviction', 'alarm', { n: 1 }, 7), ['event', 'events/gw/gw/outbox-eviction', 'gw', 'outbox-eviction', 0]],
  ];
  for (const [name, build, want] of cases) it(name, () => assert.deepEqual(head(build()), want));

  it("a reading's in-memory fields are what its body decodes to (a direct batch's envelope is built from them)", () => {
    const inputs = [
      { device: 'd', stream: 's', ts: 3, value: 'x', unit: 'C', quality: 7 },
      { device: 'd', stream: 's', ts: 4, value: 21.5 },
      { device: 'd', stream: 's', ts: 5, value: 0.1 + 0.2, unit: 'V' },
      { device: 'd', stream: 's', ts: 6, value: -0, quality: 0 },
      { device: 'd', stream: 's', ts: 7, value: true },
      { device: 'd', stream: 's', ts: 8, value: null },
      { device: 'd', stream: 's', ts: 9, value: 2 ** 40 },
    ];
    for (const r of inputs) {
      const rec = readingRecord('gw', r, 0);
      assert.deepEqual({ seq: 1, ...rec.reading }, decodeReadingBody(1, rec.body), JSON.stringify(r));
      assert.ok(Object.is(rec.reading!.value, decodeReadingBody(1, rec.body).value));
    }
  });

  it('the cached telemetry topic is the one formatTopic gives, per gateway, device and stream', () => {
    for (let i = 0; i < 5000; i++) assert.equal(readingRecord(`g${i % 3}`, { device: `d${i % 7}`, stream: `s${i}`, ts: 1, value: 1 }, 0).topic, `telemetry/g${i % 3}/d${i % 7}/s${i}`);
  });

  it('a reading of a device and stream seen before is still checked: every other field, and ids that only look alike (issue 16)', () => {
    readingRecord('gw', { device: 'seen', stream: 's', ts: 1, value: 2 }, 8192);
    const bad: unknown[] = [
      { device: 'seen', stream: 's', ts: -1, value: 2 },
      { device: 'seen', stream: 's', ts: 1, value: Infinity },
      { device: 'seen', stream: 's', ts: 1, value: {} },
      { device: 'seen', stream: 's', ts: 1, value: 2, unit: 5 },
      { device: 'seen', stream: 's', ts: 1, value: 2, quality: 300 },
      { device: 'seen', stream: 's', ts: 1, value: 2, priority: 'urgent' },
      ['seen', 's', 1, 2],
      null,
    ];
    for (const r of bad) assert.throws(() => readingRecord('gw', r as never, 8192), { code: 'INPUT_INVALID' }, JSON.stringify(r));
    // the same ids under another gateway are validated for it; a device of another type never matches
    readingRecord('gw', { device: '7', stream: 's', ts: 1, value: 2 }, 8192);
    assert.throws(() => readingRecord('gw', { device: 7, stream: 's', ts: 1, value: 2 } as never, 8192), { code: 'INPUT_INVALID' });
    assert.equal(readingRecord('gw2', { device: 'seen', stream: 's', ts: 1, value: 2 }, 8192).topic, 'telemetry/gw2/seen/s');
  });

  it('bodies decode back to what was added', () => {
    assert.deepEqual(decodeReadingBody(9, readingRecord('gw', { device: 'd', stream: 's', ts: 3, value: 'x', unit: 'C', quality: 7 }, 0).body), { seq: 9, ts: 3, value: 'x', unit: 'C', quality: 7 });
    assert.deepEqual(decodeEventBody(ownEventRecord('gw', 'e', 'alarm', { a: 1 }, 42).body), { ts: 42, severity: 'warning', data: { a: 1 } });
    const res = { v: 1, type: 'command-result', id: 'r1', commandId: 'c1', gateway: 'gw', device: 'd1', status: 'SUCCEEDED', ts: 5 } as const;
    assert.deepEqual(decodeEnvelopeBody(resultRecord('gw', res).body), res);
  });

  const refused: Array<[string, () => unknown, string]> = [
    ['a reading without a device', () => readingRecord('gw', { stream: 't', ts: 1, value: 1 } as never, 0), 'INPUT_INVALID'],
    ['a reading past maxReadingBytes', () => readingRecord('gw', { device: 'd', stream: 't', ts: 1, value: 'x'.repeat(200) }, 100), 'INPUT_TOO_LARGE'],
    ['an event of unknown severity', () => eventRecord('gw', { device: 'd', event: 'e', severity: 'loud', ts: 1 } as never), 'INPUT_INVALID'],
    ['a config report passed as a result', () => resultRecord('gw', { v: 1, type: 'config-reported', id: 'cr1', gateway: 'gw', version: 3, status: 'APPLIED', ts: 6 } as never), 'INPUT_INVALID'],
  ];
  for (const [name, build, code] of refused) it(`refuses ${name} (${code})`, () => assert.throws(build, { code }));

  it('a reading of any size passes when maxReadingBytes is 0', () => {
    assert.equal(readingRecord('gw', { device: 'd', stream: 't', ts: 1, value: 'x'.repeat(20_000) }, 0).kind, 'reading');
  });

  it('a record costs its body, its topic and the row overhead', () => {
    assert.equal(recordBytes({ body: Buffer.alloc(10), topic: 'abc' }), 13 + ROW_OVERHEAD);
  });
});
