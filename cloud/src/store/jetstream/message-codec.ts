import { headers, type MsgHdrs } from 'nats';
import { type NewMessage, type PublishMeta, type StoredMessage, StoreError } from '@causeway/broker';

/**
 * How a message travels in the JetStream message stream: the payload is the NATS message body, untouched,
 * so a native NATS consumer of a server-side queue gets the device's bytes; everything else is in headers
 * (documented in docs/scale-out.md):
 * - `Cw-Msg`: JSON {topic, qos, retain, properties, createdAt, expiresAt?, meta?} (meta.correlationData base64)
 * - `Cw-Queues`: JSON {queue: offset} — the dense per-queue offsets this append was given
 * - `Cw-Dedupe`: the dedupe key, when the publisher gave one
 * - `Content-Type`: the MQTT 5 content type, when set, for native clients
 * The stream sequence is the message id.
 */

export const HDR_MSG = 'Cw-Msg';
export const HDR_QUEUES = 'Cw-Queues';
export const HDR_DEDUPE = 'Cw-Dedupe';

interface WireMeta extends Omit<PublishMeta, 'correlationData'> {
  correlationData?: string;
}

interface WireMessage {
  topic: string;
  qos: NewMessage['qos'];
  retain: boolean;
  properties: NewMessage['properties'];
  createdAt: number;
  expiresAt?: number;
  meta?: WireMeta;
}

function toWire(m: NewMessage): WireMessage {
  const w: WireMessage = { topic: m.topic, qos: m.qos, retain: m.retain, properties: m.properties, createdAt: m.createdAt };
  if (m.expiresAt !== undefined) w.expiresAt = m.expiresAt;
  if (m.meta !== undefined) {
    const { correlationData, ...rest } = m.meta;
    const meta: WireMeta = { ...rest };
    if (correlationData !== undefined) meta.correlationData = correlationData.toString('base64');
    w.meta = meta;
  }
  return w;
}

function fromWire(w: WireMessage, payload: Buffer, id: number): StoredMessage {
  const m: StoredMessage = { topic: w.topic, payload, qos: w.qos, retain: w.retain, properties: w.properties, createdAt: w.createdAt, id };
  if (w.expiresAt !== undefined) m.expiresAt = w.expiresAt;
  if (w.meta !== undefined) {
    const { correlationData, ...rest } = w.meta;
    const meta: PublishMeta = { ...rest };
    if (correlationData !== undefined) meta.correlationData = Buffer.from(correlationData, 'base64');
    m.meta = meta;
  }
  return m;
}

/** What one stream record says about itself, without its payload. */
export interface RecordHeader {
  wire: WireMessage;
  offsets: Record<string, number>;
  dedupeKey?: string;
}

export function encodeHeaders(m: NewMessage, offsets: Record<string, number>, dedupeKey?: string): MsgHdrs {
  const h = headers();
  h.set(HDR_MSG, JSON.stringify(toWire(m)));
  h.set(HDR_QUEUES, JSON.stringify(offsets));
  if (dedupeKey !== undefined) h.set(HDR_DEDUPE, JSON.stringify(dedupeKey));
  if (m.meta?.contentType !== undefined) h.set('Content-Type', JSON.stringify(m.meta.contentType).slice(1, -1));
  return h;
}

/** Reads a record's headers; a record another program wrote into the stream is a STORE_IO error. */
export function decodeHeaders(h: MsgHdrs | undefined, seq: number): RecordHeader {
  const raw = h?.get(HDR_MSG);
  const queues = h?.get(HDR_QUEUES);
  if (raw === undefined || raw === '' || queues === undefined || queues === '') {
    throw new StoreError('STORE_IO', `stream record ${seq} has no ${HDR_MSG}/${HDR_QUEUES} headers: not written by Causeway`);
  }
  try {
    const out: RecordHeader = { wire: JSON.parse(raw) as WireMessage, offsets: JSON.parse(queues) as Record<string, number> };
    const key = h?.get(HDR_DEDUPE);
    if (key !== undefined && key !== '') out.dedupeKey = JSON.parse(key) as string;
    return out;
  } catch (err) {
    throw new StoreError('STORE_IO', `stream record ${seq} has malformed headers`, { cause: err });
  }
}

export function decodeRecord(header: RecordHeader, data: Uint8Array, seq: number): StoredMessage {
  return fromWire(header.wire, Buffer.from(data), seq);
}

/** A retained message is a self-contained KV value (log retention must not take it away [MQTT-3.3.1-5]). */
export function encodeRetained(m: StoredMessage): Uint8Array {
  return Buffer.from(JSON.stringify({ id: m.id, payload: m.payload.toString('base64'), ...toWire(m) }));
}

export function decodeRetained(value: Uint8Array): StoredMessage {
  const v = JSON.parse(Buffer.from(value).toString('utf8')) as WireMessage & { id: number; payload: string };
  return fromWire(v, Buffer.from(v.payload, 'base64'), v.id);
}
