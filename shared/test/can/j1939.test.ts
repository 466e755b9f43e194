import assert from 'node:assert/strict';
import { decodeSpn, encodeSpn, J1939_SPNS, j1939Id, parseJ1939Id } from '../../src/can/j1939.js';
import { bamPackets, J1939Reassembler, PGN_TP_CM, PGN_TP_DT } from '../../src/can/j1939-transport.js';

const spn = (n: number) => J1939_SPNS.find((s) => s.spn === n)!;
const frame = (bytes: number[]): Uint8Array => Uint8Array.from(bytes);

describe('shared/can/j1939', () => {
  const IDS: Array<[string, number, object]> = [
    ['EEC1 from the engine (PDU2)', 0x0cf00400, { priority: 3, pgn: 61444, source: 0 }],
    ['CCVS1 from SA 0x17', 0x18fef117, { priority: 6, pgn: 65265, source: 0x17 }],
    ['DD (fuel level)', 0x18fefc21, { priority: 6, pgn: 65276, source: 0x21 }],
    ['a request to all (PDU1: PS is the destination)', 0x18eaff00, { priority: 6, pgn: 59904, source: 0, destination: 0xff }],
    ['TP.CM BAM', 0x1cecff00, { priority: 7, pgn: PGN_TP_CM, source: 0, destination: 0xff }],
    ['data page 1', 0x19fef100, { priority: 6, pgn: 0x1fef1, source: 0 }],
  ];
  for (const [what, id, want] of IDS) {
    it(`splits the id of ${what} and builds it back`, () => {
      const got = parseJ1939Id(id);
      assert.deepEqual(got, want);
      assert.equal(j1939Id(got.pgn, got.source, got.priority, got.destination), id);
    });
  }

  const SPNS: Array<[string, number, number[], number | undefined]> = [
    ['engine speed 1500 rpm (SPN 190, bytes 4–5, 0.125 rpm/bit)', 190, [0xff, 0xff, 0xff, 0xe0, 0x2e, 0xff, 0xff, 0xff], 1500],
    ['engine speed not available', 190, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], undefined],
    ['engine speed error indicator (0xFExx)', 190, [0xff, 0xff, 0xff, 0x00, 0xfe, 0xff, 0xff, 0xff], undefined],
    ['engine speed at the top of its range (0xFAFF)', 190, [0, 0, 0, 0xff, 0xfa, 0, 0, 0], 8031.875],
    ['vehicle speed 88.5 km/h (SPN 84, 1/256 km/h)', 84, [0xff, 0x80, 0x58, 0xff, 0xff, 0xff, 0xff, 0xff], 88.5],
    ['fuel level 80 % (SPN 96, 0.4 %/bit)', 96, [0xff, 200, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 80],
    ['fuel level 0xFB (reserved)', 96, [0xff, 0xfb], undefined],
    ['a frame too short for the SPN', 190, [0xff, 0xff, 0xff, 0xe0], undefined],
  ];
  for (const [what, n, bytes, want] of SPNS) {
    it(`decodes ${what}`, () => assert.equal(decodeSpn(spn(n), frame(bytes)), want));
  }
  it('encodes what it decodes (the simulator side)', () => {
    for (const [n, v] of [[190, 1234.5], [84, 63.25], [96, 42.4]] as const) {
      const d = new Uint8Array(8).fill(0xff);
      encodeSpn(spn(n), v, d);
      assert.equal(decodeSpn(spn(n), d), v);
    }
  });

  describe('transport protocol (BAM)', () => {
    const vin = new TextEncoder().encode('1FUJGLDR12LM12345*');
    it('reassembles a BAM transfer, packets in any order', () => {
      const { cm, dt } = bamPackets(65260, vin);
      assert.equal(dt.length, 3);
      const r = new J1939Reassembler();
      assert.deepEqual(r.push(PGN_TP_CM, 0x00, 0xff, cm, 0), { kind: 'pending' });
      assert.deepEqual(r.push(PGN_TP_DT, 0x00, 0xff, dt[1]!, 50), { kind: 'pending' });
      assert.deepEqual(r.push(PGN_TP_DT, 0x00, 0xff, dt[0]!, 100), { kind: 'pending' });
      const done = r.push(PGN_TP_DT, 0x00, 0xff, dt[2]!, 150);
      assert.ok(done.kind === 'complete');
      assert.equal(done.pgn, 65260);
      assert.equal(done.source, 0);
      assert.equal(new TextDecoder().decode(done.data), '1FUJGLDR12LM12345*');
      assert.equal(r.open, 0);
    });
    it('keeps two senders apart', () => {
      const a = bamPackets(65260, vin);
      const b = bamPackets(65259, new Uint8Array(10).fill(7));
      const r = new J1939Reassembler();
      r.push(PGN_TP_CM, 1, 0xff, a.cm, 0);
      r.push(PGN_TP_CM, 2, 0xff, b.cm, 0);
      r.push(PGN_TP_DT, 1, 0xff, a.dt[0]!, 1);
      r.push(PGN_TP_DT, 2, 0xff, b.dt[0]!, 1);
      const bDone = r.push(PGN_TP_DT, 2, 0xff, b.dt[1]!, 2);
      assert.ok(bDone.kind === 'complete' && bDone.pgn === 65259 && bDone.data.length === 10 && bDone.data.every((x) => x === 7));
      assert.equal(r.open, 1);
    });
    const BAD: Array<[string, (r: J1939Reassembler) => ReturnType<J1939Reassembler['push']>, RegExp]> = [
      ['a data packet without an announcement', (r) => r.push(PGN_TP_DT, 5, 0xff, frame([1, 0, 0, 0, 0, 0, 0, 0]), 0), /without an announcement/],
      ['a packet after the 750 ms timeout', (r) => {
        const { cm, dt } = bamPackets(65260, vin);
        r.push(PGN_TP_CM, 0, 0xff, cm, 0);
        return r.push(PGN_TP_DT, 0, 0xff, dt[0]!, 800);
      }, /after 800 ms/],
      ['an announcement whose packet count does not fit its size', (r) => r.push(PGN_TP_CM, 0, 0xff, frame([32, 20, 0, 9, 0xff, 0xec, 0xfe, 0]), 0), /announces 20 bytes in 9 packets/],
      ['a sequence number past the announced packets', (r) => {
        const { cm } = bamPackets(65260, vin);
        r.push(PGN_TP_CM, 0, 0xff, cm, 0);
        return r.push(PGN_TP_DT, 0, 0xff, frame([4, 0, 0, 0, 0, 0, 0, 0]), 1);
      }, /sequence 4 outside 1–3/],
    ];
    for (const [what, run, err] of BAD) {
      it(`reports ${what}`, () => {
        const got = run(new J1939Reassembler());
        assert.ok(got.kind === 'error', JSON.stringify(got));
        assert.match(got.detail, err);
      });
    }
  });
});
