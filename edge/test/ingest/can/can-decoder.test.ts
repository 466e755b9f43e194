import assert from 'node:assert/strict';
import { bamPackets, j1939Id, parseDbc, PGN_TP_CM, PGN_TP_DT, type CanFrame } from '@causeway/shared/can/index.js';
import { createCanDecoder } from '../../../src/ingest/can/can-decoder.js';
import { SignalGate } from '../../../src/ingest/can/signal-gate.js';

const ext = (id: number, data: number[] | Uint8Array): CanFrame => ({ id, extended: true, remote: false, dlc: data.length, data: Uint8Array.from(data) });
const std = (id: number, data: number[]): CanFrame => ({ id, extended: false, remote: false, dlc: data.length, data: Uint8Array.from(data) });

describe('edge/ingest/can/can-decoder', () => {
  const dbc = parseDbc('BO_ 1024 Battery: 4 BMS\n SG_ PackVoltage : 7|16@0+ (0.1,0) [0|1000] "V" X\n SG_ SoC : 16|8@1+ (0.5,0) [0|100] "%" X\n');
  const decode = createCanDecoder({ dbc, j1939: true, obd2: true });

  it('decodes a DBC message into readings with units', () => {
    assert.deepEqual(decode(std(0x400, [0x0f, 0xa0, 160, 0]), 0), { values: [{ stream: 'PackVoltage', value: 400, unit: 'V' }, { stream: 'SoC', value: 80, unit: '%' }], unknown: false });
  });
  it('counts a DBC message too short for its signals as an error, keeping what fits', () => {
    const d = decode(std(0x400, [0x0f, 0xa0]), 0);
    assert.deepEqual(d.values, [{ stream: 'PackVoltage', value: 400, unit: 'V' }]);
    assert.match(d.error ?? '', /Battery: 2 bytes, too short for SoC/);
  });
  it('decodes J1939 engine speed, vehicle speed and fuel level from any source address', () => {
    assert.deepEqual(decode(ext(0x0cf00400, [0xff, 0xff, 0xff, 0xe0, 0x2e, 0xff, 0xff, 0xff]), 0).values, [{ stream: 'engine_speed', value: 1500, unit: 'rpm' }]);
    assert.deepEqual(decode(ext(0x18fef117, [0xff, 0x80, 0x58, 0xff, 0xff, 0xff, 0xff, 0xff]), 0).values, [{ stream: 'vehicle_speed', value: 88.5, unit: 'km/h' }]);
    assert.deepEqual(decode(ext(0x18fefc21, [0xff, 200, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 0).values, [{ stream: 'fuel_level', value: 80, unit: '%' }]);
  });
  it('decodes a J1939 PGN that came by BAM transport', () => {
    const payload = new Uint8Array(9).fill(0xff);
    payload[3] = 0x40;
    payload[4] = 0x1f; // 0x1F40 × 0.125 = 1000 rpm
    const { cm, dt } = bamPackets(61444, payload);
    assert.deepEqual(decode(ext(j1939Id(PGN_TP_CM, 0), cm), 0), { values: [], unknown: false });
    assert.deepEqual(decode(ext(j1939Id(PGN_TP_DT, 0), dt[0]!), 1).values, []);
    assert.deepEqual(decode(ext(j1939Id(PGN_TP_DT, 0), dt[1]!), 2).values, [{ stream: 'engine_speed', value: 1000, unit: 'rpm' }]);
  });
  it('decodes an OBD-II answer and reports a negative one', () => {
    assert.deepEqual(decode(std(0x7e8, [3, 0x41, 0x05, 0x7b, 0, 0, 0, 0]), 0).values, [{ stream: 'coolant_temp', value: 83, unit: '°C' }]);
    assert.match(decode(std(0x7e8, [3, 0x7f, 0x01, 0x12, 0, 0, 0, 0]), 0).error ?? '', /negative response/);
  });
  it('with j1939, matches a J1939 DBC message by PGN whatever the sender\'s address and priority', () => {
    const j = parseDbc('BO_ 2364540158 EEC1: 8 Engine\n SG_ TorqueMode : 0|4@1+ (1,0) [0|15] "" X\n SG_ ActualTorque : 16|8@1+ (1,-125) [-125|125] "%" X\n');
    const frame = ext(0x18f00421, [3, 0xff, 175, 0xff, 0xff, 0xff, 0xff, 0xff]); // priority 6, SA 0x21; the DBC says priority 3, SA 0xFE
    assert.deepEqual(createCanDecoder({ dbc: j, j1939: true })(frame, 0).values, [{ stream: 'TorqueMode', value: 3 }, { stream: 'ActualTorque', value: 50, unit: '%' }]);
    assert.deepEqual(createCanDecoder({ dbc: j })(frame, 0), { values: [], unknown: true }, 'without j1939 only the exact id matches');
  });
  it('marks a frame no decoder knows as unknown, without an error', () => {
    assert.deepEqual(decode(std(0x321, [1, 2]), 0), { values: [], unknown: true });
    assert.deepEqual(decode(ext(0x18fee500, [1, 2, 3, 4, 5, 6, 7, 8]), 0), { values: [], unknown: true });
    assert.deepEqual(createCanDecoder({})(ext(0x0cf00400, [0, 0, 0, 0, 0, 0, 0, 0]), 0), { values: [], unknown: true });
  });
});

describe('edge/ingest/can/signal-gate', () => {
  const STEPS: Array<[string, ConstructorParameters<typeof SignalGate>, Array<[string, number, number]>, boolean[]]> = [
    ['passes everything by default', [{}], [['a', 1, 0], ['a', 1, 0], ['a', 2, 1]], [true, true, true]],
    ['at most one per minIntervalMs per signal', [{ minIntervalMs: 100 }], [['a', 1, 0], ['a', 2, 50], ['b', 3, 50], ['a', 4, 100], ['a', 5, 150]], [true, false, true, true, false]],
    ['on change only', [{ onChange: true }], [['a', 1, 0], ['a', 1, 10], ['a', 2, 20], ['a', 2, 30]], [true, false, true, false]],
    ['a per-signal setting over the source one', [{ minIntervalMs: 1000 }, { fast: { minIntervalMs: 0 } }], [['fast', 1, 0], ['fast', 2, 1], ['slow', 1, 0], ['slow', 2, 1]], [true, true, true, false]],
  ];
  for (const [what, args, steps, want] of STEPS) {
    it(what, () => {
      const g = new SignalGate(...args);
      assert.deepEqual(steps.map(([s, v, ts]) => g.pass(s, v, ts)), want);
    });
  }
});
