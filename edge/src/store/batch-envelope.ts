import type { Envelope, EventEnvelope } from '@causeway/shared';
import type { OutgoingBatch } from '../uplink/batch-source.js';
import type { StoredBatch } from './outbox-batches.js';
import { decodeEnvelopeBody, decodeEventBody, decodeReadingBody } from './record-codec.js';

/** A formed batch as the outbox hands it out: its stored rows, and the envelope the uplink publishes. */
export type FormedBatch = StoredBatch & OutgoingBatch;

/**
 * The envelope of a formed batch, decoded from the rows' compact bodies (record-codec.ts): the store
 * encoded them, so the store decodes them, and the uplink gets envelopes ready to encode (issue 14).
 * Deterministic: the same rows give the same envelope, so a re-sent batch is byte-for-byte the one the
 * cloud may already have (and drops by its id).
 */
export function batchEnvelope(b: StoredBatch, gateway: string): Envelope {
  if (b.kind === 'envelope') return decodeEnvelopeBody(b.rows[0]!.body);
  if (b.kind === 'event') {
    const e = decodeEventBody(b.rows[0]!.body);
    const env: EventEnvelope = { v: 1, type: 'event', id: b.id, gateway, device: b.device, event: b.stream, severity: e.severity, ts: e.ts };
    if (e.data !== undefined) env.data = e.data;
    return env;
  }
  return { v: 1, type: 'batch', id: b.id, gateway, device: b.device, stream: b.stream, readings: b.rows.map((r) => (r.reading === undefined ? decodeReadingBody(r.id, r.body) : { seq: r.id, ...r.reading })) };
}

export function toFormedBatch(b: StoredBatch, gateway: string): FormedBatch {
  return { ...b, records: b.rows.length, envelope: batchEnvelope(b, gateway) };
}
