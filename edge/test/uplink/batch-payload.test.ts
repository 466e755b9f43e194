import assert from 'node:assert/strict';
import { decodeEnvelope } from '@causeway/shared';
import { encodeEventBody, encodeReadingBody } from '../../src/store/record-codec.js';
import type { FormedBatch } from '../../src/store/sqlite-outbox.js';
import { batchEnvelope, batchPayload } from '../../src/uplink/batch-payload.js';

describe('uplink/batch-payload', () => {
  const row = (id: number, body: Buffer) => ({ id, kind: 'reading' as const, topic: 'telemetry/gw/d/s', device: 'd', stream: 's', body, priority: 1, created: 0, bytes: 0 });
  const batch: FormedBatch = {
    id: 'abc-3', kind: 'reading', topic: 'telemetry/gw/d/s', device: 'd', stream: 's', priority: 1,
    rows: [row(3, encodeReadingBody({ device: 'd', stream: 's', ts: 10, value: 1.5, unit: 'C' })), row(4, encodeReadingBody({ device: 'd', stream: 's', ts: 11, value: null }))],
  };

  for (const opts of [{ codec: 'cbor', deflate: true }, { codec: 'cbor', deflate: false }, { codec: 'json', deflate: false }, { codec: 'json', deflate: true }] as const) {
    it(`encodes a valid ReadingBatch (${opts.codec}${opts.deflate ? '+deflate' : ''}) that is identical when re-sent`, () => {
      const a = batchPayload(batch, 'gw', opts);
      assert.deepEqual(a, batchPayload(batch, 'gw', opts), 'deterministic bytes');
      assert.deepEqual(decodeEnvelope(a), {
        v: 1, type: 'batch', id: 'abc-3', gateway: 'gw', device: 'd', stream: 's',
        readings: [{ seq: 3, ts: 10, value: 1.5, unit: 'C' }, { seq: 4, ts: 11, value: null }],
      });
    });
  }

  it('an event batch becomes an EventEnvelope with the batch id', () => {
    const ev: FormedBatch = { ...batch, id: 'abc-9', kind: 'event', topic: 'events/gw/d/door', stream: 'door', rows: [{ ...row(9, encodeEventBody({ device: 'd', event: 'door', severity: 'alarm', ts: 5, data: { open: true } })), kind: 'event' }] };
    assert.deepEqual(batchEnvelope(ev, 'gw'), { v: 1, type: 'event', id: 'abc-9', gateway: 'gw', device: 'd', event: 'door', severity: 'alarm', ts: 5, data: { open: true } });
  });
});
