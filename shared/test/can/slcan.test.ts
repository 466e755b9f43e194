import assert from 'node:assert/strict';
import { encodeSlcanFrame, parseSlcanLine, slcanOpenSequence, SlcanSplitter } from '../../src/can/slcan.js';

const hex = (s: string): number[] => [...Buffer.from(s, 'hex')];

describe('shared/can/slcan', () => {
  const FRAMES: Array<[string, string, { id: number; extended: boolean; remote: boolean; dlc: number; data: number[]; ts?: number }]> = [
    ['standard, 8 bytes', 't1238DEADBEEF01020304', { id: 0x123, extended: false, remote: false, dlc: 8, data: hex('DEADBEEF01020304') }],
    ['standard, empty', 't7FF0', { id: 0x7ff, extended: false, remote: false, dlc: 0, data: [] }],
    ['standard with timestamp', 't123401020304EA5F', { id: 0x123, extended: false, remote: false, dlc: 4, data: [1, 2, 3, 4], ts: 59_999 }],
    ['extended (J1939 CCVS)', 'T18FEF1178FF8058FFFFFFFFFF', { id: 0x18fef117, extended: true, remote: false, dlc: 8, data: hex('FF8058FFFFFFFFFF') }],
    ['lowercase hex', 't7df80201 0c5555555555'.replace(' ', ''), { id: 0x7df, extended: false, remote: false, dlc: 8, data: hex('02010c5555555555') }],
    ['standard remote', 'r1230', { id: 0x123, extended: false, remote: true, dlc: 0, data: [] }],
    ['extended remote asking 2 bytes, timestamped', 'R1FFFFFFF20010', { id: 0x1fffffff, extended: true, remote: true, dlc: 2, data: [], ts: 16 }],
  ];
  for (const [what, line, want] of FRAMES) {
    it(`reads a ${what} frame and writes it back the same`, () => {
      const got = parseSlcanLine(line);
      assert.ok('kind' in got && got.kind === 'frame', JSON.stringify(got));
      const { data, ...rest } = got.frame;
      assert.deepEqual({ ...rest, data: [...data] }, want);
      assert.equal(encodeSlcanFrame(got.frame, got.frame.ts), line[0]! + line.slice(1).toUpperCase() + '\r');
    });
  }

  const BAD: Array<[string, string, RegExp]> = [
    ['a length of 9', 't1239', /length 9 is not 0–8/],
    ['too short', 't12', /too short/],
    ['a non-hex character', 't12G1AA', /non-hex/],
    ['fewer bytes than its DLC', 't1232AA', /does not match its DLC 2/],
    ['more bytes than its DLC (not a timestamp)', 't1231AABB', /does not match its DLC 1/],
    ['an 11-bit id over 0x7FF', 't8000', /out of range/],
    ['a 29-bit id over 0x1FFFFFFF', 'T200000000', /out of range/],
    ['a timestamp past 59999 ms', 't1230EA60', /timestamp 60000/],
    ['another command letter', 'x123', /not an SLCAN frame/],
  ];
  for (const [what, line, err] of BAD) {
    it(`refuses a frame with ${what}`, () => {
      const got = parseSlcanLine(line);
      assert.ok('error' in got, JSON.stringify(got));
      assert.match(got.error, err);
    });
  }

  it('reads the adapter answers: CR ok, z/Z transmit ok, BEL error, version info', () => {
    assert.deepEqual(parseSlcanLine(''), { kind: 'ok' });
    assert.deepEqual(parseSlcanLine('z'), { kind: 'ok' });
    assert.deepEqual(parseSlcanLine('\x07'), { kind: 'error' });
    assert.deepEqual(parseSlcanLine('V1013'), { kind: 'info', text: 'V1013' });
  });

  it('opens at a standard bitrate: close, S6 for 500 kbit/s, timestamps, open', () => {
    assert.deepEqual(slcanOpenSequence(500_000, false), ['C\r', 'S6\r', 'Z0\r', 'O\r']);
    assert.deepEqual(slcanOpenSequence(250_000, true), ['C\r', 'S5\r', 'Z1\r', 'O\r']);
    assert.throws(() => slcanOpenSequence(333_333, false), /no SLCAN bitrate command for 333333/);
  });

  it('splits a byte stream on CR, BEL on its own, keeping a partial line across chunks', () => {
    const s = new SlcanSplitter();
    assert.deepEqual(s.push('t1230\rt12'), ['t1230']);
    assert.deepEqual(s.push(Buffer.from('31AA\r\x07')), ['t1231AA', '\x07']);
    assert.deepEqual(s.push('x'.repeat(100)), []);
    assert.equal(s.overlong, 1);
    assert.deepEqual(s.push('t1230\r'), ['t1230']);
  });
});
