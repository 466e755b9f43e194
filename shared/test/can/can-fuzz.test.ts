import assert from 'node:assert/strict';
import { prng } from '../../src/random/prng.js';
import { parseCandumpLine } from '../../src/can/candump-log.js';
import { DbcError, parseDbc } from '../../src/can/dbc.js';
import { decodeMessage } from '../../src/can/dbc-decode.js';
import { J1939Reassembler, PGN_TP_CM, PGN_TP_DT } from '../../src/can/j1939-transport.js';
import { decodeObd2Answer } from '../../src/can/obd2.js';
import { parseSlcanLine, SlcanSplitter } from '../../src/can/slcan.js';

/**
 * Bus input is hostile by nature (a noisy line, a misbehaving ECU, a wrong DBC): every CAN parser and
 * decoder must return a value or an error for any input, never throw (parseDbc: only DbcError) and never
 * read past a frame. Fixed seed, fixed count: the same inputs every run.
 */
const SEED = 19;
const N = 20_000;

const SLCAN = ['t1238DEADBEEF01020304', 'T18FEF1178FF8058FFFFFFFFFF', 'r1230', 'R1FFFFFFF20010', 't123401020304EA5F', 'V1013', 'z', ''];
const CANDUMP = ['(1436509052.249713) vcan0 044#2A366C2BBA', '(0.5) can0 18FEF100#FFFF00C0FFFFFFFF', '(1.0) can0 7DF#R8', '(2) can1 123#'];
const DBC = 'BO_ 2364539904 EEC1: 8 Engine\n SG_ EngineSpeed : 24|16@1+ (0.125,0) [0|8031.875] "rpm" X\n\nBO_ 512 Muxed: 8 ECU\n SG_ Mux M : 0|8@1+ (1,0) [0|255] "" ECU\n SG_ A m0 : 8|16@0- (0.1,0) [0|6553.5] "V" ECU\n\nVAL_ 512 Mux 0 "a" 1 "b" ;\n';
const ALPHABET = '0123456789ABCDEFabcdefxtTrRzZ#()., \r\n\x07|@+-:"[]_MmSGBOVAL';

describe('shared/can fuzz (seed 19)', () => {
  const r = prng(SEED);
  const int = (n: number): number => Math.floor(r() * n);
  const mutate = (s: string): string => {
    const a = [...s];
    for (let k = 0, n = 1 + int(4); k < n; k++) {
      const i = int(a.length + 1);
      switch (int(3)) {
        case 0: a.splice(i, 1); break;
        case 1: a.splice(i, 0, ALPHABET[int(ALPHABET.length)]!); break;
        default: a[i] = ALPHABET[int(ALPHABET.length)]!;
      }
    }
    return a.join('');
  };
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(256));

  it('SLCAN lines and byte streams', () => {
    const split = new SlcanSplitter();
    for (let i = 0; i < N; i++) {
      const line = mutate(SLCAN[int(SLCAN.length)]!);
      const m = parseSlcanLine(line);
      if ('kind' in m && m.kind === 'frame') assert.ok(m.frame.data.length === (m.frame.remote ? 0 : m.frame.dlc) && m.frame.dlc <= 8, line);
      split.push(line + (int(2) === 0 ? '\r' : ''));
    }
  });

  it('candump lines', () => {
    for (let i = 0; i < N; i++) {
      const line = mutate(CANDUMP[int(CANDUMP.length)]!);
      const m = parseCandumpLine(line);
      if (!('error' in m)) assert.ok(m.frame.data.length <= 8, line);
    }
  });

  it('DBC files: a parsed file or a DbcError; decoding any 0–8 bytes never throws', () => {
    let parsed = 0;
    for (let i = 0; i < N / 10; i++) {
      const text = mutate(mutate(DBC));
      let dbc;
      try {
        dbc = parseDbc(text);
      } catch (err) {
        assert.ok(err instanceof DbcError, `${String(err)} for ${JSON.stringify(text)}`);
        continue;
      }
      parsed++;
      for (const msg of dbc.messages.values()) for (let n = 0; n <= 8; n++) decodeMessage(msg, bytes(n));
    }
    assert.ok(parsed > 0);
  });

  it('J1939 transport and OBD-II answers of random bytes', () => {
    const tp = new J1939Reassembler();
    for (let i = 0; i < N; i++) {
      const d = bytes(int(9));
      const res = tp.push(int(2) === 0 ? PGN_TP_CM : PGN_TP_DT, int(4), 0xff, d, i);
      if (res.kind === 'complete') assert.ok(res.data.length >= 9 && res.data.length <= 1785);
      decodeObd2Answer(0x7e8 + int(8), d);
    }
  });
});
