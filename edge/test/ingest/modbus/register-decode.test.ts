import assert from 'node:assert/strict';
import { decodeRegisters, encodeRegisters, registersOf } from '../../../src/ingest/modbus/register-decode.js';
import type { ModbusPoint } from '../../../src/ingest/modbus/modbus-config.js';

type P = Pick<ModbusPoint, 'type' | 'wordOrder' | 'byteOrder' | 'scale' | 'offset' | 'bit' | 'bits'>;

describe('ingest/modbus/register-decode', () => {
  const cases: Array<[string, number[], P, number]> = [
    ['uint16', [0xfffe], { type: 'uint16' }, 65534],
    ['int16 negative', [0xfffe], { type: 'int16' }, -2],
    ['uint16 is the default type', [1234], {}, 1234],
    ['int16 byte-swapped (BA)', [0xfeff], { type: 'int16', byteOrder: 'little' }, -2],
    ['int32 ABCD', [0xffff, 0xfffe], { type: 'int32' }, -2],
    ['uint32 ABCD', [0x0001, 0x0002], { type: 'uint32' }, 65538],
    ['uint32 CDAB (low word first)', [0x0002, 0x0001], { type: 'uint32', wordOrder: 'little' }, 65538],
    ['uint32 BADC (bytes swapped)', [0x0100, 0x0200], { type: 'uint32', byteOrder: 'little' }, 65538],
    ['uint32 DCBA', [0x0200, 0x0100], { type: 'uint32', wordOrder: 'little', byteOrder: 'little' }, 65538],
    ['float32 ABCD', [0x4148, 0x0000], { type: 'float32' }, 12.5],
    ['float32 as its shortest decimal (230.3, not 230.3000030517578)', [0x4366, 0x4ccd], { type: 'float32' }, 230.3],
    ['float32 of 0.1', [0x3dcc, 0xcccd], { type: 'float32' }, 0.1],
    ['float32 CDAB', [0x0000, 0x4148], { type: 'float32', wordOrder: 'little' }, 12.5],
    ['float32 DCBA', [0x0000, 0x4841], { type: 'float32', wordOrder: 'little', byteOrder: 'little' }, 12.5],
    ['scale and offset', [231], { type: 'uint16', scale: 0.1 }, 23.1],
    ['offset alone', [500], { offset: -273 }, 227],
    ['negative temperature ×0.1', [0xff9c], { type: 'int16', scale: 0.1 }, -10],
    ['one bit', [0b0100], { bit: 2 }, 1],
    ['one bit clear', [0b0100], { bit: 1 }, 0],
    ['a 3-bit field', [0b1011_0000], { bit: 4, bits: 3 }, 0b011],
    ['bit 15', [0x8000], { bit: 15 }, 1],
    ['a bit of a uint32 (high word)', [0x8000, 0x0000], { type: 'uint32', bit: 31 }, 1],
    ['a field across words', [0x0001, 0x8000], { type: 'uint32', bit: 15, bits: 2 }, 3],
  ];
  for (const [name, words, p, want] of cases) it(name, () => assert.equal(decodeRegisters(words, p), want));

  it('too few registers is a RangeError', () => assert.throws(() => decodeRegisters([1], { type: 'float32' }), RangeError));
  it('32-bit types span two registers', () => {
    assert.deepEqual((['int16', 'uint16', 'int32', 'uint32', 'float32'] as const).map(registersOf), [1, 1, 2, 2, 2]);
  });

  describe('encodeRegisters', () => {
    const round: Array<[number, P]> = [
      [-2, { type: 'int16' }],
      [65535, { type: 'uint16' }],
      [-123456, { type: 'int32', wordOrder: 'little' }],
      [4_000_000_000, { type: 'uint32', byteOrder: 'little' }],
      [12.5, { type: 'float32', wordOrder: 'little', byteOrder: 'little' }],
      [23.1, { type: 'uint16', scale: 0.1 }],
      [-10, { type: 'int16', scale: 0.1, offset: 0 }],
    ];
    for (const [v, p] of round) it(`round-trips ${v} as ${JSON.stringify(p)}`, () => assert.equal(decodeRegisters(encodeRegisters(v, p), p), v));
    it('a value that does not fit is a RangeError', () => {
      assert.throws(() => encodeRegisters(70000, { type: 'uint16' }), /does not fit a uint16/);
      assert.throws(() => encodeRegisters(-1, { type: 'uint16' }), RangeError);
      assert.throws(() => encodeRegisters(Number.NaN, { type: 'float32' }), RangeError);
    });
  });
});
