import assert from 'node:assert/strict';
import { parseArgs, parseList, parseReplayFrom, parseTags, payloadText, telemetrySeries } from '../../console/src/parse.js';
import { ago, duration, tags, text } from '../../console/src/format.js';

describe('cloud/console parse and format (pure)', () => {
  it('parseArgs: empty is {}, an object passes, anything else is a message', () => {
    assert.deepEqual(parseArgs('  '), { ok: true, value: {} });
    assert.deepEqual(parseArgs('{"on":true}'), { ok: true, value: { on: true } });
    for (const [src, re] of [['[1]', /JSON object/], ['null', /JSON object/], ['"x"', /JSON object/], ['{"on": tru', /not valid JSON/]] as const) {
      const r = parseArgs(src);
      assert.equal(r.ok, false, src);
      assert.match((r as { message: string }).message, re, src);
    }
  });

  it('parseReplayFrom: digits are an offset, "earliest" the oldest kept, a date a time; anything else is an error saying what it takes', () => {
    assert.deepEqual(parseReplayFrom(' 42 '), { offset: 42 });
    assert.deepEqual(parseReplayFrom('earliest'), { time: 0 });
    assert.deepEqual(parseReplayFrom('2026-12-06T08:00:00Z'), { time: Date.UTC(2026, 11, 6, 8) });
    assert.throws(() => parseReplayFrom(''), /give an offset, a time or "earliest"/);
    assert.throws(() => parseReplayFrom('yesterday-ish'), /"yesterday-ish" is neither an offset, a time nor "earliest"/);
    assert.throws(() => parseReplayFrom('-3'), /neither an offset/);
  });

  it('parseList: comma-separated, trimmed, empty parts left out', () => {
    assert.deepEqual(parseList(' telemetry , events,,'), ['telemetry', 'events']);
    assert.deepEqual(parseList(''), []);
  });

  it('payloadText: a body that is not an envelope as UTF-8 text, invalid bytes replaced, never a throw', () => {
    assert.equal(payloadText(Buffer.from('21.5 °C').toString('base64')), '21.5 °C');
    assert.equal(payloadText(Buffer.from([0x41, 0xff, 0x42]).toString('base64')), 'A\uFFFDB');
    assert.equal(payloadText(undefined), '');
  });

  it('parseTags: key=value pairs, a value may hold "="; a part without a key is an error naming it', () => {
    assert.deepEqual(parseTags(' site=north , kind=a=b,'), { site: 'north', kind: 'a=b' });
    assert.deepEqual(parseTags(''), {});
    assert.throws(() => parseTags('site'), /tag "site" must be key=value/);
    assert.throws(() => parseTags('=x'), /must be key=value/);
  });

  it('telemetrySeries: numeric readings per device/stream, sorted by time; text values and non-envelopes skipped', () => {
    const msgs = [
      { offset: 1, topic: 't', createdAt: 0, envelope: { type: 'batch', device: 'd', stream: 's', readings: [{ ts: 3000, value: 3 }, { ts: 1000, value: 1 }, { ts: 2000, value: 'x' }] } },
      { offset: 2, topic: 't', createdAt: 0, envelope: { type: 'reading', device: 'd', stream: 'u', ts: 5000, value: 5 } },
      { offset: 3, topic: 't', createdAt: 0 },
    ];
    assert.deepEqual(telemetrySeries(msgs), [
      { label: 'd/s', points: [[1, 1], [3, 3]] },
      { label: 'd/u', points: [[5, 5]] },
    ]);
  });

  it('format: durations, ages and text with a dash for what is missing', () => {
    assert.equal(duration(500), '500 ms');
    assert.equal(duration(30_000), '30 s');
    assert.equal(duration(30 * 60_000), '30 min');
    assert.equal(duration(undefined), '—');
    assert.equal(ago(1000, 61_000), '60 s ago');
    assert.equal(tags({}), '—');
    assert.equal(tags({ a: '1', b: '2' }), 'a=1, b=2');
    assert.equal(text('x'.repeat(300), 10), `${'x'.repeat(10)}…`);
    assert.equal(text({ a: 1 }), '{"a":1}');
  });
});
