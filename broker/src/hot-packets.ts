import type { IPubackPacket, IPublishPacket } from 'mqtt-packet';

/**
 * The packets a busy broker reads most, read without mqtt-packet: PUBLISH (any QoS, 3.1/3.1.1, and v5
 * without properties) and PUBACK (v5: reason code Success, no properties). mqtt-packet's parser walks a
 * state machine per packet, calls `debug` a dozen times and copies through a BufferList: ~5 % of the
 * durable fan-in profile (issue 15).
 *
 * Only whole, ordinary packets are read here. Anything else — another type, a v5 PUBLISH with
 * properties, a v5 PUBACK with a reason code, reserved flag bits, QoS 3, a malformed length or topic —
 * stops the read at that packet's first byte, and the connection hands the rest to mqtt-packet, which
 * parses it and reports errors as before. The packets made here are the objects mqtt-packet would make
 * (broker/test/hot-packets.test.ts compares the two on random input).
 */
export type HotPacket = IPublishPacket | IPubackPacket;

/** Why a read stopped short of the end of the buffer. */
export type HotStop =
  /** every byte was read */
  | 'end'
  /** the last packet is incomplete and of a type read here: keep its bytes for the next read */
  | 'partial'
  /** the next packet is for mqtt-packet (another type, or not an ordinary one) */
  | 'other'
  /** the sink asked to stop (the connection closed) */
  | 'stopped';

export interface HotRead {
  /** offset of the first byte not read */
  at: number;
  stop: HotStop;
  /** for 'partial': the packet's Remaining Length when its header is complete, else -1 */
  length: number;
}

const PUBLISH = 3;
const PUBACK = 4;

/**
 * Reads whole ordinary PUBLISH and PUBACK packets from the start of `buf`, handing each to `sink`
 * (which returns false to stop). `v5`: the connection speaks MQTT 5 (a PUBLISH then carries a property
 * length, a PUBACK may carry a reason code).
 */
export function readHotPackets<C>(buf: Buffer, v5: boolean, sink: (ctx: C, packet: HotPacket) => boolean, ctx: C): HotRead {
  let at = 0;
  const end = buf.length;
  while (at < end) {
    const first = buf[at]!;
    const type = first >> 4;
    if (type !== PUBLISH && type !== PUBACK) return { at, stop: 'other', length: -1 };
    // Remaining Length: 1–4 bytes, 7 bits each.
    let length = 0;
    let mul = 1;
    let i = at + 1;
    let complete = false;
    for (let n = 0; n < 4 && i < end; n++) {
      const b = buf[i++]!;
      length += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) {
        complete = true;
        break;
      }
    }
    if (!complete) {
      // A fifth length byte is malformed: mqtt-packet says so.
      if (i - at - 1 >= 4) return { at, stop: 'other', length: -1 };
      return { at, stop: 'partial', length: -1 };
    }
    const body = i;
    const next = body + length;
    if (next > end) return { at, stop: 'partial', length };
    const packet = type === PUBLISH ? readPublish(buf, first, body, next, length, v5) : readPuback(buf, first, body, length, v5);
    if (packet === undefined) return { at, stop: 'other', length: -1 };
    at = next;
    if (!sink(ctx, packet)) return { at, stop: 'stopped', length: -1 };
  }
  return { at, stop: 'end', length: -1 };
}

function readPublish(buf: Buffer, first: number, body: number, next: number, length: number, v5: boolean): IPublishPacket | undefined {
  const qos = (first >> 1) & 3;
  if (qos === 3) return undefined;
  if (next - body < 2) return undefined;
  const topicLength = buf.readUInt16BE(body);
  let at = body + 2 + topicLength;
  if (at > next) return undefined;
  const topic = buf.toString('utf8', body + 2, at);
  let messageId: number | undefined;
  if (qos > 0) {
    if (at + 2 > next) return undefined;
    messageId = buf.readUInt16BE(at);
    at += 2;
  }
  if (v5) {
    // Properties go through mqtt-packet; an empty property list is one zero byte.
    if (at >= next || buf[at] !== 0) return undefined;
    at += 1;
  }
  const packet: IPublishPacket = {
    cmd: 'publish',
    retain: (first & 1) !== 0,
    qos: qos as 0 | 1 | 2,
    dup: (first & 8) !== 0,
    length,
    topic,
    payload: buf.subarray(at, next),
  };
  if (messageId !== undefined) packet.messageId = messageId;
  return packet;
}

function readPuback(buf: Buffer, first: number, body: number, length: number, v5: boolean): IPubackPacket | undefined {
  // Reserved flags must be 0 [MQTT-2.2.2-1].
  if (first !== PUBACK << 4 || length < 2) return undefined;
  if (length !== 2) {
    // v5: reason code Success, with no properties or an empty list (what MQTT.js sends); any other
    // reason code or a property goes through mqtt-packet.
    if (!v5 || length > 4 || buf[body + 2] !== 0 || (length === 4 && buf[body + 3] !== 0)) return undefined;
  }
  // The fields and order of mqtt-packet's Packet, so both kinds of objects share one shape.
  const packet = { cmd: 'puback', retain: false, qos: 0, dup: false, length, topic: null, payload: null, messageId: buf.readUInt16BE(body) } as unknown as IPubackPacket;
  if (v5) packet.reasonCode = 0;
  return packet;
}
