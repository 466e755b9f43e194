import assert from 'node:assert/strict';
import { decodeObd2Answer, obd2Answer, obd2Request, OBD2_PIDS, parseObd2Request } from '../../src/can/obd2.js';

describe('shared/can/obd2', () => {
  it('asks for a mode 01 PID at 0x7DF: [2, 0x01, PID] padded with 0x55', () => {
    assert.deepEqual([...obd2Request(0x0c)], [2, 1, 0x0c, 0x55, 0x55, 0x55, 0x55, 0x55]);
    assert.equal(parseObd2Request(0x7df, obd2Request(0x2f)), 0x2f);
    assert.equal(parseObd2Request(0x7df, Uint8Array.of(2, 9, 2)), null);
    assert.equal(parseObd2Request(0x123, obd2Request(0x0c)), null);
  });

  const ANSWERS: Array<[string, number, number[], unknown]> = [
    ['engine speed (0C): (256A + B) / 4', 0x7e8, [4, 0x41, 0x0c, 0x1a, 0xf8, 0x55, 0x55, 0x55], { pid: 0x0c, name: 'engine_speed', value: 1726, unit: 'rpm' }],
    ['vehicle speed (0D): A', 0x7e9, [3, 0x41, 0x0d, 0x32, 0x55, 0x55, 0x55, 0x55], { pid: 0x0d, name: 'vehicle_speed', value: 50, unit: 'km/h' }],
    ['coolant (05): A − 40', 0x7e8, [3, 0x41, 0x05, 0x7b, 0, 0, 0, 0], { pid: 0x05, name: 'coolant_temp', value: 83, unit: '°C' }],
    ['fuel level (2F): 100A / 255', 0x7e8, [3, 0x41, 0x2f, 0x80, 0, 0, 0, 0], { pid: 0x2f, name: 'fuel_level', value: 50.2, unit: '%' }],
    ['a frame from a non-OBD id', 0x123, [3, 0x41, 0x0d, 0x32], null],
    ['another service (mode 09)', 0x7e8, [3, 0x49, 0x02, 0x01], null],
    ['a negative response', 0x7e8, [3, 0x7f, 0x01, 0x12, 0, 0, 0, 0], { error: 'OBD-II negative response to service 0x1 (NRC 0x12)' }],
    ['an undecoded PID', 0x7e8, [3, 0x41, 0x0f, 0x50, 0, 0, 0, 0], { error: 'OBD-II PID 0x0f is not decoded' }],
    ['a short answer', 0x7e8, [4, 0x41, 0x0c, 0x1a], { error: 'OBD-II answer for PID 0xc is short (4 bytes)' }],
    ['a length byte too small for the PID', 0x7e8, [3, 0x41, 0x0c, 0x1a, 0xf8, 0, 0, 0], { error: 'OBD-II answer for PID 0xc is short (3 bytes)' }],
  ];
  for (const [what, id, bytes, want] of ANSWERS) {
    it(`decodes ${what}`, () => assert.deepEqual(decodeObd2Answer(id, Uint8Array.from(bytes)), want));
  }

  it('answers what it decodes (the simulator side)', () => {
    for (const [pid, v] of [[0x0c, 1726], [0x0d, 88], [0x05, 90], [0x2f, 40]] as const) {
      const a = obd2Answer(pid, v)!;
      const got = decodeObd2Answer(0x7e8, a);
      assert.ok(got !== null && 'value' in got);
      assert.ok(Math.abs(got.value - v) <= 100 / 255, `${OBD2_PIDS.get(pid)!.name}: ${got.value} vs ${v}`);
    }
    assert.equal(obd2Answer(0x0f, 1), null);
  });
});
