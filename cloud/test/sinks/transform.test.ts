import assert from 'node:assert/strict';
import { encodeEnvelope, type Envelope } from '@causeway/shared';
import { envelopeRows, messageRows, parseTransform, valueAt } from '../../src/sinks/transform.js';

const batch: Envelope = {
  v: 1,
  type: 'batch',
  id: 'b-7',
  gateway: 'spoofed',
  device: 'th-1',
  stream: 'temp',
  readings: [
    { seq: 10, ts: 1_700_000_000_000, value: 21.5, unit: 'C' },
    { seq: 11, ts: 1_700_000_001_000, value: 'open' },
  ],
};
const event: Envelope = { v: 1, type: 'event', id: 'e-1', gateway: 'gw1', device: 'th-1', event: 'overheat', severity: 'alarm', ts: 5, data: { temp: 90, nested: { a: 1 } } };

describe('sinks/transform', () => {
  it('readings: a batch becomes one row per reading, the gateway taken from the topic', () => {
    const r = envelopeRows({ type: 'readings' }, 'telemetry/gw1/th-1/temp', batch);
    assert.deepEqual(r, {
      ok: true,
      rows: [
        { gateway: 'gw1', device: 'th-1', stream: 'temp', ts: 1_700_000_000_000, value: 21.5, unit: 'C', seq: 10, batchId: 'b-7' },
        { gateway: 'gw1', device: 'th-1', stream: 'temp', ts: 1_700_000_001_000, value: 'open', unit: null, seq: 11, batchId: 'b-7' },
      ],
    });
  });

  it('readings: a single reading envelope is one row', () => {
    const r = envelopeRows({ type: 'readings' }, 'telemetry/gw1/d/s', { v: 1, type: 'reading', id: 'r1', gateway: 'gw1', device: 'd', stream: 's', seq: 3, ts: 9, value: true });
    assert.deepEqual(r, { ok: true, rows: [{ gateway: 'gw1', device: 'd', stream: 's', ts: 9, value: true, unit: null, seq: 3, batchId: 'r1' }] });
  });

  const refusals: Array<[string, Parameters<typeof envelopeRows>, string]> = [
    ['an event under a readings transform', [{ type: 'readings' }, 'events/gw1/th-1/overheat', event], 'SINK_WRONG_ENVELOPE'],
    ['a topic without a gateway', [{ type: 'readings' }, 'custom', batch], 'SINK_TOPIC'],
  ];
  for (const [what, args, code] of refusals) {
    it(`refuses ${what} with ${code}`, () => {
      const r = envelopeRows(...args);
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.code, code);
    });
  }

  it('fields: selects dotted paths, absent → null, keyed on (gateway, envelope id, 0)', () => {
    const r = envelopeRows({ type: 'fields', fields: { severity: 'severity', temp: 'data.temp', a: 'data.nested.a', missing: 'data.nope' } }, 'events/gw1/th-1/overheat', event);
    assert.deepEqual(r, { ok: true, rows: [{ gateway: 'gw1', batchId: 'e-1', seq: 0, fields: { severity: 'alarm', temp: 90, a: 1, missing: null } }] });
  });

  it('messageRows decodes the wire codecs (CBOR + deflate) and reports undecodable payloads with a code', () => {
    const ok = messageRows({ type: 'readings' }, 'telemetry/gw1/th-1/temp', encodeEnvelope(batch, { codec: 'cbor', deflate: true }));
    assert.equal(ok.ok && ok.rows.length, 2);
    const bad = messageRows({ type: 'readings' }, 'telemetry/gw1/th-1/temp', Buffer.from('not an envelope'));
    assert.equal(bad.ok, false);
    assert.match(!bad.ok ? bad.code : '', /^DECODE_/);
  });

  it('valueAt reads own keys only', () => {
    assert.equal(valueAt({ a: { b: 2 } }, 'a.b'), 2);
    assert.equal(valueAt({ a: 1 }, 'a.b'), undefined);
    assert.equal(valueAt({}, 'constructor'), undefined);
  });

  const specs: Array<[string, unknown, RegExp | undefined]> = [
    ['absent: readings', undefined, undefined],
    ['readings', { type: 'readings' }, undefined],
    ['fields', { type: 'fields', fields: { sev: 'severity' } }, undefined],
    ['an unknown type', { type: 'sql' }, /type must be readings or fields/],
    ['no fields', { type: 'fields', fields: {} }, /non-empty object/],
    ['a key column', { type: 'fields', fields: { seq: 'id' } }, /column "seq"/],
    ['a bad column name', { type: 'fields', fields: { 'Drop Table': 'id' } }, /column "Drop Table"/],
    ['a bad path', { type: 'fields', fields: { t: 'data..x' } }, /dotted path/],
    ['an extra key on readings', { type: 'readings', fields: {} }, /takes no other key/],
  ];
  for (const [what, v, err] of specs) {
    it(`parseTransform: ${what}`, () => {
      if (err === undefined) assert.doesNotThrow(() => parseTransform(v, 't'));
      else assert.throws(() => parseTransform(v, 't'), err);
    });
  }
});
