import assert from 'node:assert/strict';
import { DbcError, messageKey, parseDbc } from '../../src/can/dbc.js';
import { decodeMessage, rawSignal } from '../../src/can/dbc-decode.js';

const DBC = `VERSION ""

NS_ :

BU_: ECU Engine

BO_ 291 Layout: 8 ECU
 SG_ IntelU16 : 0|16@1+ (1,0) [0|65535] "" Vector__XXX
 SG_ MotoU16 : 23|16@0+ (1,0) [0|65535] "" Vector__XXX
 SG_ IntelS12 : 36|12@1- (0.5,-10) [-1000|1000] "degC" Vector__XXX
 SG_ Moto12 : 51|12@0+ (1,0) [0|0] "" Vector__XXX

BO_ 2364539904 EEC1: 8 Engine
 SG_ EngineSpeed : 24|16@1+ (0.125,0) [0|8031.875] "rpm" Vector__XXX

BO_ 512 Muxed: 8 ECU
 SG_ Mux M : 0|8@1+ (1,0) [0|255] "" ECU
 SG_ Volts m0 : 8|16@1+ (0.1,0) [0|6553.5] "V" ECU
 SG_ Amps m1 : 8|8@1- (1,0) [-128|127] "A" ECU
 SG_ Gear : 56|8@1+ (1,0) [0|5] "" ECU

CM_ SG_ 512 Gear "selected gear";
BA_DEF_ SG_ "GenSigStartValue" INT 0 100;
VAL_ 512 Gear 0 "P" 1 "R" 2 "N" 3 "D" ;
`;

describe('shared/can/dbc', () => {
  const dbc = parseDbc(DBC);

  it('reads messages with standard and extended ids (bit 31 of the file id), and their signals', () => {
    assert.deepEqual([...dbc.messages.values()].map((m) => [m.name, m.id, m.extended, m.dlc, m.signals.length]), [
      ['Layout', 0x123, false, 8, 4],
      ['EEC1', 0x0cf00400, true, 8, 1],
      ['Muxed', 512, false, 8, 4],
    ]);
    const s = dbc.messages.get(messageKey(0x0cf00400, true))!.signals[0]!;
    assert.deepEqual({ ...s }, { name: 'EngineSpeed', startBit: 24, length: 16, byteOrder: 'intel', signed: false, factor: 0.125, offset: 0, min: 0, max: 8031.875, unit: 'rpm', multiplexer: false });
    const mux = dbc.messages.get(512)!;
    assert.deepEqual(mux.signals.map((x) => [x.name, x.multiplexer, x.multiplexValue]), [['Mux', true, undefined], ['Volts', false, 0], ['Amps', false, 1], ['Gear', false, undefined]]);
    assert.equal(mux.signals[3]!.values?.get(3), 'D');
  });

  // Intel: LSB at the start bit, upward. Motorola: MSB at the start bit, sawtooth (bit 0 of a byte → bit 7 of the next).
  const VECTORS: Array<[string, { startBit: number; length: number; byteOrder: 'intel' | 'motorola'; signed: boolean }, number[], number]> = [
    ['Intel 16 bits at 0', { startBit: 0, length: 16, byteOrder: 'intel', signed: false }, [0x34, 0x12], 0x1234],
    ['Motorola 16 bits at 7', { startBit: 7, length: 16, byteOrder: 'motorola', signed: false }, [0x12, 0x34], 0x1234],
    ['Motorola 16 bits at 23', { startBit: 23, length: 16, byteOrder: 'motorola', signed: false }, [0, 0, 0x12, 0x34], 0x1234],
    ['Intel 12 bits at 4 (across a byte)', { startBit: 4, length: 12, byteOrder: 'intel', signed: false }, [0xc0, 0xab], 0xabc],
    ['Motorola 12 bits at 3 (across a byte)', { startBit: 3, length: 12, byteOrder: 'motorola', signed: false }, [0x0a, 0xbc], 0xabc],
    ['Intel signed 12 bits, negative', { startBit: 36, length: 12, byteOrder: 'intel', signed: true }, [0, 0, 0, 0, 0xc0, 0xff], -4],
    ['Motorola signed 8 bits, most negative', { startBit: 7, length: 8, byteOrder: 'motorola', signed: true }, [0x80], -128],
    ['Intel 1 bit', { startBit: 13, length: 1, byteOrder: 'intel', signed: false }, [0, 0x20], 1],
    ['Intel 32 bits unsigned, top bit set', { startBit: 0, length: 32, byteOrder: 'intel', signed: false }, [0xff, 0xff, 0xff, 0xff], 0xffffffff],
    ['Motorola 32 bits at 7', { startBit: 7, length: 32, byteOrder: 'motorola', signed: false }, [0xde, 0xad, 0xbe, 0xef], 0xdeadbeef],
    ['Intel 64 bits (2^53 exact)', { startBit: 0, length: 64, byteOrder: 'intel', signed: false }, [0, 0, 0, 0, 0, 0, 0x20, 0], 2 ** 53],
  ];
  for (const [what, sig, bytes, want] of VECTORS) {
    it(`decodes ${what}`, () => assert.equal(rawSignal(Uint8Array.from(bytes), sig), want));
  }

  it('scales, signs and units every signal of a frame', () => {
    const out = decodeMessage(dbc.messages.get(0x123)!, Uint8Array.of(0x34, 0x12, 0x12, 0x34, 0xc0, 0xff, 0x0a, 0xbc));
    assert.deepEqual(out.signals.map((s) => [s.name, s.value, s.unit, s.outOfRange]), [
      ['IntelU16', 4660, '', false],
      ['MotoU16', 4660, '', false],
      ['IntelS12', -12, 'degC', false],
      ['Moto12', 2748, '', false],
    ]);
    assert.deepEqual(out.short, []);
  });

  it('decodes only the multiplexed signals the multiplexer selects, with value labels', () => {
    const m = dbc.messages.get(512)!;
    const zero = decodeMessage(m, Uint8Array.of(0, 0xd2, 0x04, 0, 0, 0, 0, 3));
    assert.deepEqual(zero.signals.map((s) => [s.name, s.value, s.unit, s.label]), [['Mux', 0, '', undefined], ['Volts', 123.4, 'V', undefined], ['Gear', 3, '', 'D']]);
    const one = decodeMessage(m, Uint8Array.of(1, 0xfe, 0, 0, 0, 0, 0, 9));
    assert.deepEqual(one.signals.map((s) => [s.name, s.value, s.outOfRange]), [['Mux', 1, false], ['Amps', -2, false], ['Gear', 9, true]]);
  });

  it('decodes what fits of a short frame and names the signals that do not', () => {
    const out = decodeMessage(dbc.messages.get(0x123)!, Uint8Array.of(0x34, 0x12, 0x12));
    assert.deepEqual(out.signals.map((s) => s.name), ['IntelU16']);
    assert.deepEqual(out.short, ['MotoU16', 'IntelS12', 'Moto12']);
  });

  const BAD: Array<[string, string, RegExp]> = [
    ['a signal before any message', ' SG_ X : 0|8@1+ (1,0) [0|0] "" X', /line 1: signal outside a message/],
    ['a signal past the message length', 'BO_ 100 M: 2 X\n SG_ S : 8|16@1+ (1,0) [0|0] "" X', /line 2: signal S runs past message M's 2 bytes/],
    ['a Motorola signal past byte 7', 'BO_ 100 M: 8 X\n SG_ S : 60|16@0+ (1,0) [0|0] "" X', /runs past the 8 bytes/],
    ['a factor of 0', 'BO_ 100 M: 8 X\n SG_ S : 0|8@1+ (0,0) [0|0] "" X', /factor 0/],
    ['an unreadable signal', 'BO_ 100 M: 8 X\n SG_ S : 0|8@2+ (1,0) [0|0] "" X', /line 2: cannot read signal/],
    ['a CAN FD message', 'BO_ 100 M: 64 X', /only classic CAN/],
    ['a value table of an unknown signal', 'BO_ 100 M: 8 X\n SG_ S : 0|8@1+ (1,0) [0|0] "" X\n\nVAL_ 100 T 0 "a" ;', /line 4: value table for unknown signal 100 T/],
  ];
  for (const [what, text, err] of BAD) {
    it(`refuses ${what}, naming the line`, () => {
      assert.throws(() => parseDbc(text), (e: unknown) => e instanceof DbcError && e.code === 'DBC_INVALID' && err.test(e.message));
    });
  }
});
