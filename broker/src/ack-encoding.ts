import type { Packet } from 'mqtt-packet';

const FIRST_BYTE: Readonly<Record<string, number>> = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 };

/**
 * PUBACK, PUBREC, PUBREL and PUBCOMP with success and no properties, written directly: mqtt-packet builds
 * an EventEmitter and concatenates chunks for each (7.5 % of the broker's CPU in fan-in, one PUBACK per
 * message, issue 15). The bytes are mqtt-packet's: v5 spells out reason code 0 and property length 0.
 * Undefined for any other packet (the caller encodes it with mqtt-packet).
 */
export function encodePlainAck(packet: Packet, version: number): Buffer | undefined {
  const first = FIRST_BYTE[packet.cmd];
  if (first === undefined) return undefined;
  const p = packet as { messageId?: number; reasonCode?: number; properties?: object };
  if (p.messageId === undefined || p.properties !== undefined || (p.reasonCode !== undefined && p.reasonCode !== 0)) return undefined;
  if (version === 5) {
    const b = Buffer.allocUnsafe(6);
    b[0] = first;
    b[1] = 4;
    b.writeUInt16BE(p.messageId, 2);
    b[4] = 0;
    b[5] = 0;
    return b;
  }
  const b = Buffer.allocUnsafe(4);
  b[0] = first;
  b[1] = 2;
  b.writeUInt16BE(p.messageId, 2);
  return b;
}
