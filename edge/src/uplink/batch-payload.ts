import { encodeEnvelope, type EncodeOptions, type Envelope, type EventEnvelope } from '@causeway/shared';
import { decodeEnvelopeBody, decodeEventBody, decodeReadingBody } from '../store/record-codec.js';
import type { FormedBatch } from '../store/sqlite-outbox.js';

/**
 * The envelope of a formed batch. Deterministic: the same rows give the same envelope, so a re-sent
 * batch is byte-for-byte the one the cloud may already have (and drops by its id).
 */
export function batchEnvelope(b: FormedBatch, gateway: string): Envelope {
  if (b.kind === 'envelope') return decodeEnvelopeBody(b.rows[0]!.body);
  if (b.kind === 'event') {
    const e = decodeEventBody(b.rows[0]!.body);
    const env: EventEnvelope = { v: 1, type: 'event', id: b.id, gateway, device: b.device, event: b.stream, severity: e.severity, ts: e.ts };
    if (e.data !== undefined) env.data = e.data;
    return env;
  }
  return { v: 1, type: 'batch', id: b.id, gateway, device: b.device, stream: b.stream, readings: b.rows.map((r) => decodeReadingBody(r.id, r.body)) };
}

export function batchPayload(b: FormedBatch, gateway: string, opts: EncodeOptions): Buffer {
  return encodeEnvelope(batchEnvelope(b, gateway), opts);
}
