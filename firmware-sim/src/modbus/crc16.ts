/**
 * CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF), sent low byte first (Modbus over Serial Line v1.02
 * §2.5.1.2 and Appendix B). Pure.
 *
 * @example
 * crc16(Buffer.from([0x01, 0x03, 0x00, 0x00, 0x00, 0x01])) // 0x0a84 → bytes 84 0a on the wire
 */
export function crc16(buf: Uint8Array): number {
  let crc = 0xffff;
  for (const b of buf) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}
