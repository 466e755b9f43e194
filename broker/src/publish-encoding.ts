import type { QoS } from '@causeway/shared';
import type { StoredMessage } from './store/contract.js';

interface Encoded {
  /** qos | retain << 2 | dup << 3 | v5 << 4 */
  key: number;
  bytes: Buffer;
  /** where the packet identifier sits (QoS 1/2); 0 for QoS 0 */
  packetIdAt: number;
}

/**
 * How many of the most recently encoded messages keep their encodings, and at most how many bytes of
 * encodings are kept. The deliveries of one message to many subscribers come close together (each
 * session's in-flight window), so a few thousand recent messages cover fan-out. A WeakMap kept an
 * encoding for as long as the message cache kept the message (250,000 messages): in fan-in, where each
 * message is delivered once, that was one more buffer per cached message for the garbage collector to
 * copy into the old generation, and a WeakMap entry per message made each scavenge walk its ephemeron
 * table (issue 15, profile in docs/benchmarks.md). An encoding holds a copy of the payload, hence the
 * byte bound: 2,048 messages of 1 MB would otherwise keep 2 GB.
 */
export const ENCODINGS_KEPT = 2048;
export const ENCODED_BYTES_KEPT = 16 * 1024 * 1024;

/**
 * Encodings by message: the one variant most messages ever need, or all of them by key. A Map iterates
 * in insertion order, so its first key is the oldest kept message.
 */
const encodings = new Map<StoredMessage, Encoded | Map<number, Encoded>>();
let keptBytes = 0;

function sizeOf(held: Encoded | Map<number, Encoded> | undefined): number {
  if (held === undefined) return 0;
  if (!(held instanceof Map)) return held.bytes.length;
  let n = 0;
  for (const e of held.values()) n += e.bytes.length;
  return n;
}

function dropOldest(): void {
  const m = encodings.keys().next().value!;
  keptBytes -= sizeOf(encodings.get(m));
  encodings.delete(m);
}

/** Keeps the first encoding of `message`, dropping the oldest ones past either bound. */
function keep(message: StoredMessage, e: Encoded): void {
  while (encodings.size === ENCODINGS_KEPT || (encodings.size > 0 && keptBytes + e.bytes.length > ENCODED_BYTES_KEPT)) dropOldest();
  keptBytes += e.bytes.length;
  encodings.set(message, e);
}

/** Another variant of a kept message: counted, and the oldest dropped while the bytes are over (it may be this one). */
function keepVariant(e: Encoded): void {
  keptBytes += e.bytes.length;
  while (encodings.size > 0 && keptBytes > ENCODED_BYTES_KEPT) dropOldest();
}

/**
 * A PUBLISH without properties (any 3.1/3.1.1 delivery, and a v5 one that carries none) is the same bytes
 * for every subscriber but its packet identifier: encoded once per (message, QoS, RETAIN, DUP, version)
 * and copied with the identifier patched in (issue 15), where mqtt-packet encoded it once per delivery.
 * The first delivery writes the encoding itself (later ones copy it and patch their own identifier); QoS 0
 * deliveries share the one buffer. Nobody writes into an encoding once it is made.
 *
 * @example
 * conn.stream.write(encodePlainPublish(message, 1, false, false, 4, nextPacketId));
 */
export function encodePlainPublish(message: StoredMessage, qos: QoS, retain: boolean, dup: boolean, version: 3 | 4 | 5, packetId?: number): Buffer {
  const key = qos | (retain ? 4 : 0) | (dup ? 8 : 0) | (version === 5 ? 16 : 0);
  const held = encodings.get(message);
  let e: Encoded | undefined;
  if (held === undefined) e = undefined;
  else if (held instanceof Map) e = held.get(key);
  else if (held.key === key) e = held;
  if (e === undefined) {
    e = encode(key, message, qos, retain, dup, version, packetId);
    if (held === undefined) keep(message, e);
    else {
      if (held instanceof Map) held.set(key, e);
      else encodings.set(message, new Map([[held.key, held], [key, e]]));
      keepVariant(e);
    }
    return e.bytes;
  }
  if (qos === 0) return e.bytes;
  const out = Buffer.allocUnsafe(e.bytes.length);
  e.bytes.copy(out);
  out.writeUInt16BE(packetId ?? 0, e.packetIdAt);
  return out;
}

/**
 * The PUBLISH bytes, written directly (issue 15): mqtt-packet's generate builds an EventEmitter, a list
 * of chunks and a concatenation per packet, and compiling that path took ~52 of the 611 ms V8's optimizing
 * compiler spent on a broker's first 20,000 fan-in messages (docs/benchmarks.md, 2026-12-07 12:00). The
 * bytes are mqtt-packet's, which the tests check: fixed header, Remaining Length, topic, packet identifier
 * (QoS 1/2), v5's empty property length, payload.
 */
function encode(key: number, m: StoredMessage, qos: QoS, retain: boolean, dup: boolean, version: 3 | 4 | 5, packetId: number | undefined): Encoded {
  const topicBytes = Buffer.byteLength(m.topic);
  const remaining = 2 + topicBytes + (qos > 0 ? 2 : 0) + (version === 5 ? 1 : 0) + m.payload.length;
  const lengthBytes = remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4;
  const bytes = Buffer.allocUnsafe(1 + lengthBytes + remaining);
  bytes[0] = 0x30 | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0);
  let at = 1;
  for (let n = remaining; ; ) {
    const digit = n % 128;
    n = Math.floor(n / 128);
    bytes[at++] = n > 0 ? digit | 0x80 : digit;
    if (n === 0) break;
  }
  bytes.writeUInt16BE(topicBytes, at);
  at += 2;
  at += bytes.write(m.topic, at, 'utf8');
  const packetIdAt = qos > 0 ? at : 0;
  if (qos > 0) {
    bytes.writeUInt16BE(packetId ?? 0, at);
    at += 2;
  }
  if (version === 5) bytes[at++] = 0;
  m.payload.copy(bytes, at);
  return { key, bytes, packetIdAt };
}
