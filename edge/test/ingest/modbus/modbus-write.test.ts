import assert from 'node:assert/strict';
import type { ModbusSlave } from '../../../src/ingest/modbus/modbus-config.js';
import type { ModbusLink } from '../../../src/ingest/modbus/modbus-link.js';
import { executeWrite, planWrite, type WriteRequest } from '../../../src/ingest/modbus/modbus-write.js';

const slave: ModbusSlave = {
  unit: 4,
  device: 'cab-4',
  points: [
    { stream: 'fan', fc: 3, address: 100, writable: true, unit: '%' },
    { stream: 'limit', fc: 3, address: 110, type: 'float32', wordOrder: 'little', writable: true },
    { stream: 'temp', fc: 3, address: 120, type: 'int16', scale: 0.1, writable: true },
    { stream: 'heater', fc: 1, address: 0, writable: true },
    { stream: 'lamp', fc: 1, address: 1, writable: true },
    { stream: 'siren', fc: 1, address: 2, writable: true },
    { stream: 'contactor', fc: 1, address: 3 },
    { stream: 'sign', fc: 1, address: 5, writable: true },
    { stream: 'low', fc: 3, address: 112, writable: true },
    { stream: 'version', fc: 3, address: 101 },
    { stream: 'voltage', fc: 4, address: 0, type: 'float32' },
  ],
};

/** Holding registers and coils in maps; `stuck` registers ignore writes (a read-back mismatch). */
function memoryLink(opts: { stuck?: Set<number>; exception?: number } = {}): ModbusLink & { log: string[] } {
  const regs = new Map<number, number>();
  const coils = new Map<number, boolean>();
  const log: string[] = [];
  const fail = (): void => {
    if (opts.exception !== undefined) throw Object.assign(new Error('exception'), { modbusCode: opts.exception });
  };
  return {
    log,
    isOpen: true,
    async open() {},
    async close() {},
    async read(_unit, fc, address, count) {
      log.push(`read fc${fc}@${address}+${count}`);
      return fc === 1 ? Array.from({ length: count }, (_, i) => (opts.stuck?.has(address + i) ? false : (coils.get(address + i) ?? false))) : Array.from({ length: count }, (_, i) => regs.get(address + i) ?? 0);
    },
    async writeCoil(unit, address, on) {
      fail();
      log.push(`fc5 unit ${unit} @${address}=${on}`);
      coils.set(address, on);
    },
    async writeCoils(unit, address, values) {
      fail();
      log.push(`fc15 unit ${unit} @${address}=${values.join(',')}`);
      values.forEach((v, i) => coils.set(address + i, v));
    },
    async writeRegisters(unit, address, words) {
      fail();
      log.push(`${words.length === 1 ? 'fc6' : 'fc16'} unit ${unit} @${address}=${words.join(',')}`);
      words.forEach((w, i) => {
        if (!opts.stuck?.has(address + i)) regs.set(address + i, w);
      });
    },
  };
}

describe('ingest/modbus/modbus-write', () => {
  const refused: Array<[string, string, RegExp]> = [
    ['not declared writable', 'write version 3', /^>err refused version is not writable/],
    ['an input register', 'write voltage 3', /^>err refused voltage is not writable/],
    ['an unknown stream', 'write nope 1', /^>err refused cab-4 has no stream nope/],
    ['not a number', 'write fan lots', /^>err refused fan needs a number/],
    ['out of range', 'write fan 70000', /^>err refused fan: 70000 does not fit a uint16/],
    ['a coil given a number', 'write heater 7', /^>err refused heater is a coil: on or off/],
    ['another command', 'reboot', /^>err unknown-command reboot/],
    ['no value', 'write fan', /^>err refused write needs a stream and a value/],
    ['several coils, one not writable', 'write siren,contactor on,on', /^>err refused contactor is not writable/],
    ['several coils with a gap', 'write siren,sign on,on', /^>err refused siren and sign are not adjacent \(2, 5\)/],
    ['fewer values than streams', 'write heater,lamp on', /^>err refused write names 2 streams and 1 values/],
    ['a stream twice', 'write heater,heater on,off', /^>err refused write names a stream twice/],
    ['coils and registers together', 'write heater,fan on,5', /^>err refused one write covers coils or holding registers, not both/],
    ['a bad value among several', 'write heater,lamp on,maybe', /^>err refused lamp is a coil: on or off, got maybe/],
  ];
  for (const [name, line, want] of refused) it(`refuses ${name}`, () => assert.match(planWrite(slave, line) as string, want));

  const writes: Array<[string, string, string, string]> = [
    ['one register with fc 6', 'write fan 75', 'fc6 unit 4 @100=75', '>ok fan=75'],
    ['a float32 CDAB with fc 16', 'write limit 12.5', 'fc16 unit 4 @110=0,16712', '>ok limit=12.5'],
    ['a scaled negative int16', 'write temp -10.5', 'fc6 unit 4 @120=65431', '>ok temp=-10.5'],
    ['a coil with fc 5', 'write heater on', 'fc5 unit 4 @0=true', '>ok heater=true'],
    ['three adjacent coils with fc 15, in address order', 'write siren,heater,lamp on,on,off', 'fc15 unit 4 @0=true,false,true', '>ok heater=true lamp=false siren=true'],
    ['a float32 and the register after it with one fc 16', 'write low,limit 7,12.5', 'fc16 unit 4 @110=0,16712,7', '>ok limit=12.5 low=7'],
  ];
  for (const [name, line, wire, reply] of writes) {
    it(`writes ${name} and reads it back`, async () => {
      const link = memoryLink();
      assert.equal(await executeWrite(link, slave, planWrite(slave, line) as WriteRequest), reply);
      assert.equal(link.log[0], wire);
      assert.match(link.log[1]!, /^read /);
    });
  }

  it('a read-back that differs is an error, not ok', async () => {
    const link = memoryLink({ stuck: new Set([100]) });
    assert.equal(await executeWrite(link, slave, planWrite(slave, 'write fan 75') as WriteRequest), '>err read-back fan: wrote 75, reads 0');
  });
  it('a coil of several that reads back differently is named', async () => {
    const link = memoryLink({ stuck: new Set([1]) });
    assert.equal(await executeWrite(link, slave, planWrite(slave, 'write heater,lamp,siren on,on,on') as WriteRequest), '>err read-back lamp: wrote true, reads false');
    assert.deepEqual(link.log, ['fc15 unit 4 @0=true,true,true', 'read fc1@0+3']);
  });
  it('an exception response is reported with its code', async () => {
    const link = memoryLink({ exception: 3 });
    assert.equal(await executeWrite(link, slave, planWrite(slave, 'write fan 75') as WriteRequest), '>err exception 3 from unit 4');
  });
});
