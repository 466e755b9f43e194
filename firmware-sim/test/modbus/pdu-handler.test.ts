import assert from 'node:assert/strict';
import { handlePdu } from '../../src/modbus/pdu-handler.js';
import { mapBank } from '../../src/modbus/register-bank.js';
import { parseExceptions, slaveAnswer } from '../../src/modbus/slave-faults.js';
import { roadsideCabinet } from '../../src/modbus/cabinet-profile.js';

const bank = () => mapBank({
  holding: new Map([[0, 0x1234], [1, 0xabcd], [2, 0]]),
  input: new Map([[10, 7]]),
  coil: new Map([[0, 1], [1, 0], [2, 1]]),
  discrete: new Map([[0, 0]]),
  writable: { holding: new Set([2]), coil: new Set([1]) },
});
const hex = (...b: number[]): Buffer => Buffer.from(b);

describe('modbus/pdu-handler', () => {
  const cases: Array<[string, Buffer, string]> = [
    ['fc 3 reads registers', hex(3, 0, 0, 0, 2), '030412 34abcd'.replace(' ', '')],
    ['fc 4 reads input registers', hex(4, 0, 10, 0, 1), '04020007'],
    ['fc 1 packs coils LSB first', hex(1, 0, 0, 0, 3), '010105'],
    ['fc 2 reads discrete inputs', hex(2, 0, 0, 0, 1), '020100'],
    ['an undeclared address is exception 2', hex(3, 0, 5, 0, 1), '8302'],
    ['a read past the map is exception 2', hex(3, 0, 1, 0, 3), '8302'],
    ['a quantity of 126 registers is exception 3', hex(3, 0, 0, 0, 126), '8303'],
    ['an unknown function is exception 1', hex(43, 0, 0, 0, 0), 'ab01'],
    ['a short request is exception 3', hex(3, 0), '8303'],
    ['fc 6 to a writable register echoes', hex(6, 0, 2, 0, 9), '0600020009'],
    ['fc 6 to a read-only register is exception 2', hex(6, 0, 0, 0, 9), '8602'],
    ['fc 5 on a writable coil echoes', hex(5, 0, 1, 0xff, 0), '050001ff00'],
    ['fc 5 with a bad value is exception 3', hex(5, 0, 1, 0x12, 0), '8503'],
    ['fc 16 with a bad byte count is exception 3', hex(16, 0, 2, 0, 1, 3, 0, 1), '9003'],
  ];
  for (const [name, req, want] of cases) it(name, () => assert.equal(handlePdu(req, bank()).toString('hex'), want));

  it('writes are visible to the next read', () => {
    const b = bank();
    handlePdu(hex(16, 0, 2, 0, 1, 2, 0x0b, 0xb8), b);
    assert.equal(handlePdu(hex(3, 0, 2, 0, 1), b).toString('hex'), '03020bb8');
    handlePdu(hex(15, 0, 1, 0, 1, 1, 1), b);
    assert.equal(handlePdu(hex(1, 0, 0, 0, 3), b).toString('hex'), '010107');
  });

  describe('slave faults', () => {
    const banks = new Map([[1, bank()], [2, bank()]]);
    it('a dead or unknown unit does not answer', () => {
      assert.equal(slaveAnswer(banks, { dead: new Set([2]) }, 2, hex(3, 0, 0, 0, 1)), null);
      assert.equal(slaveAnswer(banks, {}, 9, hex(3, 0, 0, 0, 1)), null);
    });
    it('an exception fault hits requests spanning its address only', () => {
      const faults = { exceptions: parseExceptions('1:1:4') };
      assert.equal(slaveAnswer(banks, faults, 1, hex(3, 0, 0, 0, 2))!.toString('hex'), '8304');
      assert.equal(slaveAnswer(banks, faults, 1, hex(3, 0, 0, 0, 1))!.toString('hex'), '03021234');
      assert.equal(slaveAnswer(banks, faults, 2, hex(3, 0, 0, 0, 2))!.toString('hex'), '030412 34abcd'.replace(' ', ''));
    });
    it('parseExceptions refuses a malformed entry', () => assert.throws(() => parseExceptions('1:2'), /unit:address:code/));
  });

  it('the roadside cabinet map: float32 voltage, int16 temperature, CDAB energy per unit', () => {
    const b = roadsideCabinet.bank(3);
    const regs = handlePdu(hex(4, 0, 0, 0, 6), b);
    assert.equal(regs.readFloatBE(2), Math.fround(230.3));
    assert.equal(regs.readInt16BE(6), 203);
    assert.equal(regs.readUInt16BE(8) + regs.readUInt16BE(10) * 0x10000, 312345);
  });
});
