import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ConfigError } from '@causeway/shared';
import { validateModbus } from '../../../src/ingest/modbus/modbus-config.js';
import { compileRules } from '../../../src/ingest/stream-processor.js';

const ok = { tcp: { host: '127.0.0.1', port: 5020 }, slaves: [{ unit: 1, device: 'meter-1', points: [{ stream: 'voltage', fc: 4, address: 0, type: 'float32', unit: 'V' }] }] };
const withBus = (patch: object): unknown[] => [{ ...ok, ...patch }];
const withSlave = (patch: object): unknown[] => withBus({ slaves: [{ ...ok.slaves[0], ...patch }] });
const withPoint = (patch: object): unknown[] => withSlave({ points: [{ ...ok.slaves[0]!.points[0], ...patch }] });

describe('ingest/modbus/modbus-config', () => {
  it('accepts a TCP bus and an RTU bus', () => {
    validateModbus([ok, { rtu: { path: '/dev/ttyUSB0', baudRate: 19200, parity: 'even' }, slaves: [{ unit: 2, device: 'wx', points: [{ stream: 'alarm', fc: 1, address: 3 }] }] }]);
    validateModbus([]);
  });
  it('the roadside cabinet example of docs/field-buses.md is a valid config', () => {
    const md = readFileSync(new URL('../../../../docs/field-buses.md', import.meta.url), 'utf8');
    const doc = JSON.parse(/```json\n([\s\S]*?)```/.exec(md)![1]!) as { ingest: { modbus: unknown; rules: never } };
    validateModbus(doc.ingest.modbus);
    compileRules(doc.ingest.rules);
  });
  const bad: Array<[string, unknown, string, RegExp]> = [
    ['not an array', {}, 'ingest.modbus', /array of buses/],
    ['neither rtu nor tcp', [{ slaves: ok.slaves }], 'ingest.modbus[0]', /exactly one of rtu/],
    ['both rtu and tcp', withBus({ rtu: { path: '/dev/x' } }), 'ingest.modbus[0]', /exactly one/],
    ['an unknown bus key', withBus({ speed: 1 }), 'ingest.modbus[0].speed', /unknown key "speed"/],
    ['a bad port', withBus({ tcp: { host: 'h', port: 70000 } }), 'ingest.modbus[0].tcp.port', /1–65535/],
    ['no slaves', withBus({ slaves: [] }), 'ingest.modbus[0].slaves', /non-empty/],
    ['unit out of range', withSlave({ unit: 300 }), 'ingest.modbus[0].slaves[0].unit', /0–255/],
    ['period below 10 ms', withSlave({ periodMs: 5 }), 'ingest.modbus[0].slaves[0].periodMs', /≥ 10/],
    ['a write fc as a poll', withPoint({ fc: 6 }), 'ingest.modbus[0].slaves[0].points[0].fc', /1, 2, 3 or 4/],
    ['an unknown type', withPoint({ type: 'double' }), 'ingest.modbus[0].slaves[0].points[0].type', /int16, uint16/],
    ['a type on a coil', withPoint({ fc: 1 }), 'ingest.modbus[0].slaves[0].points[0].type', /registers \(fc 3, 4\) only/],
    ['a bit of a float', withPoint({ bit: 2 }), 'ingest.modbus[0].slaves[0].points[0].bit', /float32 means nothing/],
    ['bit past the width', withPoint({ type: 'uint16', bit: 16 }), 'ingest.modbus[0].slaves[0].points[0].bit', /0–15/],
    ['bits past the width', withPoint({ type: 'uint16', bit: 14, bits: 3 }), 'ingest.modbus[0].slaves[0].points[0].bits', /1–2/],
    ['scale 0', withPoint({ scale: 0 }), 'ingest.modbus[0].slaves[0].points[0].scale', /non-zero/],
    ['writable input register', withPoint({ writable: true }), 'ingest.modbus[0].slaves[0].points[0].writable', /only coils/],
    ['a float past the address space', withPoint({ address: 65535 }), 'ingest.modbus[0].slaves[0].points[0].address', /65535 at most/],
    ['a stream twice', withSlave({ points: [ok.slaves[0]!.points[0], ok.slaves[0]!.points[0]] }), 'ingest.modbus[0].slaves[0].points[1].stream', /mapped twice/],
    ['a unit twice on a bus', withBus({ slaves: [ok.slaves[0], { ...ok.slaves[0], device: 'm2' }] }), 'ingest.modbus[0].slaves[1].unit', /twice/],
    ['a device on two buses', [ok, { ...ok, tcp: { host: 'other' } }], 'ingest.modbus[1].slaves[0].device', /polled twice/],
    ['a bus twice', [ok, { ...ok, slaves: [{ ...ok.slaves[0], device: 'm2' }] }], 'ingest.modbus[1]', /configured twice/],
  ];
  for (const [name, v, key, msg] of bad) {
    it(`refuses ${name}, naming ${key}`, () => {
      assert.throws(() => validateModbus(v), (e: unknown) => e instanceof ConfigError && e.key === key && msg.test(e.message));
    });
  }
});
