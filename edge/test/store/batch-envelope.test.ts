import assert from 'node:assert/strict';
import { decodeEnvelope, encodeEnvelope } from '@causeway/shared';
import { encodeEnvelopeBody, encodeEventBody, encodeReadingBody } from '../../src/store/record-codec.js';
import type { StoredBatch } from '../../src/store/outbox-batches.js';
import { batchEnvelope, toFormedBatch } from '../../src/store/batch-envelope.js';

describe('store/batch-envelope', () => {
  const row = (id: number, body: Buffer) => ({ id, kind: 'reading' as const, topic: 'telemetry/gw/d/s', device: 'd', stream: 's', body, priority: 1, created: 0, bytes: 0 });
  const batch: StoredBatch = {
    id: 'abc-3', kind: 'reading', topic: 'telemetry/gw/d/s', device: 'd', stream: 's', priority: 1,
    rows: [row(3, encodeReadingBody({ device: 'd', stream: 's', ts: 10, value: 1.5, unit: 'C' })), row(4, encodeReadingBody({ device: 'd', stream: 's', ts: 11, value: null }))],
  };

  for (const opts of [{ codec: 'cbor', deflate: true }, { codec: 'cbor', deflate: false }, { codec: 'json', deflate: false }, { codec: 'json', deflate: true }] as const) {
    it(`a reading batch encodes to a valid ReadingBatch (${opts.codec}${opts.deflate ? '+deflate' : ''}) that is identical when re-sent`, () => {
      const a = encodeEnvelope(toFormedBatch(batch, 'gw').envelope, opts);
      assert.deepEqual(a, encodeEnvelope(toFormedBatch(batch, 'gw').envelope, opts), 'deterministic bytes');
      assert.deepEqual(decodeEnvelope(a), {
        v: 1, type: 'batch', id: 'abc-3', gateway: 'gw', device: 'd', stream: 's',
        readings: [{ seq: 3, ts: 10, value: 1.5, unit: 'C' }, { seq: 4, ts: 11, value: null }],
      });
    });
  }

  it('an event batch becomes an EventEnvelope with the batch id', () => {
    const ev: StoredBatch = { ...batch, id: 'abc-9', kind: 'event', topic: 'events/gw/d/door', stream: 'door', rows: [{ ...row(9, encodeEventBody({ device: 'd', event: 'door', severity: 'alarm', ts: 5, data: { open: true } })), kind: 'event' }] };
    assert.deepEqual(batchEnvelope(ev, 'gw'), { v: 1, type: 'event', id: 'abc-9', gateway: 'gw', device: 'd', event: 'door', severity: 'alarm', ts: 5, data: { open: true } });
  });

  it('an envelope row is handed out as it was queued, with its own id', () => {
    const result = { v: 1, type: 'command-result', id: 'res-1', commandId: 'c1', gateway: 'gw', device: 'd', status: 'SUCCEEDED', ts: 5 } as const;
    const b: StoredBatch = { ...batch, id: 'abc-7', kind: 'envelope', topic: 'cmd-result/gw/d/c1', stream: 'command-result', rows: [{ ...row(7, encodeEnvelopeBody(result)), kind: 'envelope' }] };
    assert.deepEqual(batchEnvelope(b, 'gw'), result);
  });

  it('a formed batch counts its records and keeps its rows for the store', () => {
    const f = toFormedBatch(batch, 'gw');
    assert.equal(f.records, 2);
    assert.deepEqual(f.rows, batch.rows);
    assert.equal(f.topic, 'telemetry/gw/d/s');
  });
});
