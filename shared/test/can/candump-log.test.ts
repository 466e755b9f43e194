import assert from 'node:assert/strict';
import { formatCandumpLine, parseCandumpLine } from '../../src/can/candump-log.js';

describe('shared/can/candump-log', () => {
  const GOOD: Array<[string, string, { iface: string; id: number; extended: boolean; remote: boolean; dlc: number; data: string; ts: number }]> = [
    ['a standard frame', '(1436509052.249713) vcan0 044#2A366C2BBA', { iface: 'vcan0', id: 0x44, extended: false, remote: false, dlc: 5, data: '2a366c2bba', ts: 1436509052249.713 }],
    ['an extended frame', '(0.500000) can0 18FEF100#FFFF00C0FFFFFFFF', { iface: 'can0', id: 0x18fef100, extended: true, remote: false, dlc: 8, data: 'ffff00c0ffffffff', ts: 500 }],
    ['an empty frame', '(2) can1 123#', { iface: 'can1', id: 0x123, extended: false, remote: false, dlc: 0, data: '', ts: 2000 }],
    ['a remote frame', '(1.0) can0 7DF#R', { iface: 'can0', id: 0x7df, extended: false, remote: true, dlc: 0, data: '', ts: 1000 }],
    ['a remote frame with a length', '(1.0) can0 7DF#R8', { iface: 'can0', id: 0x7df, extended: false, remote: true, dlc: 8, data: '', ts: 1000 }],
  ];
  for (const [what, line, want] of GOOD) {
    it(`reads ${what}`, () => {
      const got = parseCandumpLine(line);
      assert.ok(!('error' in got), JSON.stringify(got));
      const { data, ts, ...f } = got.frame;
      assert.deepEqual({ iface: got.iface, ...f, data: Buffer.from(data).toString('hex'), ts: Number(ts?.toFixed(3)) }, want);
    });
  }
  const BAD: Array<[string, string, RegExp]> = [
    ['a CAN FD frame', '(1.0) can0 123##1DEAD', /CAN FD/],
    ['a 4-digit id', '(1.0) can0 1234#00', /neither 3/],
    ['an odd number of hex digits', '(1.0) can0 123#ABC', /not 0–8 hex bytes/],
    ['nine bytes', '(1.0) can0 123#000000000000000000', /not 0–8 hex bytes/],
    ['no timestamp', 'can0 123#00', /not a candump log line/],
    ['an 11-bit id over 0x7FF', '(1.0) can0 FFF#00', /out of range/],
  ];
  for (const [what, line, err] of BAD) {
    it(`refuses ${what}`, () => {
      const got = parseCandumpLine(line);
      assert.ok('error' in got);
      assert.match(got.error, err);
    });
  }
  it('writes a line it reads back', () => {
    const line = formatCandumpLine({ id: 0x0cf00400, extended: true, remote: false, dlc: 3, data: Uint8Array.of(1, 2, 255) }, 'can0', 1500);
    assert.equal(line, '(1.500000) can0 0CF00400#0102FF');
    const back = parseCandumpLine(line);
    assert.ok(!('error' in back));
    assert.equal(back.frame.id, 0x0cf00400);
  });
});
