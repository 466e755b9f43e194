import assert from 'node:assert/strict';
import { crc16 } from '../../src/modbus/crc16.js';

describe('modbus/crc16', () => {
  // Examples from Modbus over Serial Line v1.02 and common captures.
  const cases: Array<[string, number[], number]> = [
    ['read holding 0×1 from unit 1', [0x01, 0x03, 0x00, 0x00, 0x00, 0x01], 0x0a84],
    ['read coils 0x13×0x25 from unit 0x11 (spec example)', [0x11, 0x01, 0x00, 0x13, 0x00, 0x25], 0x840e],
    ['CRC-16/MODBUS check value of "123456789"', [...Buffer.from('123456789')], 0x4b37],
    ['empty', [], 0xffff],
  ];
  for (const [name, bytes, want] of cases) it(name, () => assert.equal(crc16(Buffer.from(bytes)), want));
});
