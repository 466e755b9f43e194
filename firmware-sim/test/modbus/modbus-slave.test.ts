import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import modbusSerial from 'modbus-serial';
import { roadsideCabinet } from '../../src/modbus/cabinet-profile.js';
import { startModbusRtuSlave, startModbusTcpSlave } from '../../src/modbus/modbus-slave.js';

const ModbusRTU = modbusSerial.default;

// The simulated slaves against an independent master (modbus-serial): real TCP socket, real PTY (socat).
describe('modbus/modbus-slave', () => {
  const banks = () => new Map([1, 2, 3].map((u) => [u, roadsideCabinet.bank(u)]));

  it('TCP: reads, writes with read-back, exceptions and a dead unit', async () => {
    const slave = await startModbusTcpSlave({ banks: banks(), faults: { dead: new Set([3]), exceptions: [{ unit: 2, address: 5, code: 4 }] }, port: 0 });
    const client = new ModbusRTU();
    try {
      await client.connectTCP('127.0.0.1', { port: slave.address as number });
      client.setTimeout(300);
      client.setID(1);
      assert.equal((await client.readInputRegisters(0, 2)).buffer.readFloatBE(0), Math.fround(230.1));
      await client.writeRegister(100, 75);
      assert.deepEqual((await client.readHoldingRegisters(100, 1)).data, [75]);
      await assert.rejects(client.writeRegister(101, 1), (e: { modbusCode?: number }) => e.modbusCode === 2);
      client.setID(2);
      await assert.rejects(client.readInputRegisters(0, 6), (e: { modbusCode?: number }) => e.modbusCode === 4);
      client.setID(3);
      await assert.rejects(client.readInputRegisters(0, 1), (e: { errno?: string }) => e.errno === 'ETIMEDOUT');
      assert.equal(slave.stats.silent, 1);
    } finally {
      await new Promise<void>((r) => client.close(() => r()));
      await slave.stop();
    }
  });

  it('TCP: a slow slave answers after --delay-ms, past a shorter master timeout', async () => {
    const slave = await startModbusTcpSlave({ banks: banks(), faults: { delayMs: 400 }, port: 0 });
    const client = new ModbusRTU();
    try {
      await client.connectTCP('127.0.0.1', { port: slave.address as number });
      client.setID(1);
      client.setTimeout(100);
      await assert.rejects(client.readInputRegisters(2, 1), (e: { errno?: string }) => e.errno === 'ETIMEDOUT');
    } finally {
      await new Promise<void>((r) => client.close(() => r()));
      await slave.stop();
    }
  });

  it('RTU on a PTY: reads and coil writes; a corrupted CRC is refused by the master', async function () {
    const link = join(tmpdir(), `cw-mb-${process.pid}-${Date.now()}`);
    const slave = await startModbusRtuSlave({ banks: banks(), faults: { badCrcEvery: 3 }, link });
    const client = new ModbusRTU();
    try {
      await client.connectRTUBuffered(link, { baudRate: 115200 });
      client.setTimeout(500);
      client.setID(2);
      assert.deepEqual((await client.readInputRegisters(2, 1)).data, [202]);
      await client.writeCoil(0, true);
      await assert.rejects(client.readCoils(0, 1), /CRC/);
      assert.deepEqual((await client.readCoils(0, 1)).data.slice(0, 1), [true]);
    } finally {
      await new Promise<void>((r) => client.close(() => r()));
      await slave.stop();
      await rm(link, { force: true });
    }
  });
});
