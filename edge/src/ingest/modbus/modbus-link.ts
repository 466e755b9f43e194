import modbusSerial from 'modbus-serial';
import type { ModbusBus, ModbusReadFc } from './modbus-config.js';
import { MODBUS_DEFAULTS } from './modbus-config.js';

// modbus-serial is CommonJS: its module object is the class and carries it again as `.default`.
const ModbusRTU = modbusSerial.default;

/**
 * One bus as the poller sees it: requests go out one at a time (a serial line is half duplex; a TCP
 * gateway answers in order too). The modbus-serial implementation is below; unit tests pass a fake.
 */
export interface ModbusLink {
  readonly isOpen: boolean;
  open(): Promise<void>;
  /** registers as unsigned 16-bit words (fc 3, 4) or bits (fc 1, 2), exactly `count` of them */
  read(unit: number, fc: ModbusReadFc, address: number, count: number, timeoutMs: number): Promise<number[] | boolean[]>;
  /** fc 5 */
  writeCoil(unit: number, address: number, on: boolean, timeoutMs: number): Promise<void>;
  /** fc 15: adjacent coils from address, in one request */
  writeCoils(unit: number, address: number, values: boolean[], timeoutMs: number): Promise<void>;
  /** fc 6 for one register, fc 16 for several */
  writeRegisters(unit: number, address: number, words: number[], timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** What went wrong with one request; `exception` means the slave is alive and said no. */
export type ModbusFailure = { kind: 'timeout' } | { kind: 'exception'; code: number } | { kind: 'crc' } | { kind: 'link'; message: string };

/** Maps modbus-serial's errors (they carry `errno` and `modbusCode`, not classes) to a failure kind. Pure. */
export function classifyModbusError(err: unknown): ModbusFailure {
  const e = (err ?? {}) as { errno?: unknown; modbusCode?: unknown; message?: unknown };
  if (typeof e.modbusCode === 'number') return { kind: 'exception', code: e.modbusCode };
  if (e.errno === 'ETIMEDOUT') return { kind: 'timeout' };
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (/CRC error/i.test(message)) return { kind: 'crc' };
  return { kind: 'link', message };
}

/** The modbus-serial client for an RTU (serial) or TCP bus. */
export function modbusSerialLink(bus: ModbusBus): ModbusLink {
  let client = new ModbusRTU();
  const prep = (unit: number, timeoutMs: number): void => {
    client.setID(unit);
    client.setTimeout(timeoutMs);
  };
  return {
    get isOpen() {
      return client.isOpen;
    },
    async open() {
      // a fresh client per connection: modbus-serial keeps a closed port's state otherwise
      client = new ModbusRTU();
      client.on('error', () => {}); // surfaced through the failing request and isOpen
      if (bus.rtu !== undefined) {
        const r = bus.rtu;
        await client.connectRTUBuffered(r.path, { baudRate: r.baudRate ?? MODBUS_DEFAULTS.baudRate, dataBits: r.dataBits ?? 8, parity: r.parity ?? 'none', stopBits: r.stopBits ?? 1 });
      } else {
        await client.connectTCP(bus.tcp!.host, { port: bus.tcp!.port ?? MODBUS_DEFAULTS.tcpPort });
      }
    },
    async read(unit, fc, address, count, timeoutMs) {
      prep(unit, timeoutMs);
      switch (fc) {
        case 1: return (await client.readCoils(address, count)).data.slice(0, count);
        case 2: return (await client.readDiscreteInputs(address, count)).data.slice(0, count);
        case 3: return (await client.readHoldingRegisters(address, count)).data;
        case 4: return (await client.readInputRegisters(address, count)).data;
      }
    },
    async writeCoil(unit, address, on, timeoutMs) {
      prep(unit, timeoutMs);
      await client.writeCoil(address, on);
    },
    async writeCoils(unit, address, values, timeoutMs) {
      prep(unit, timeoutMs);
      await client.writeCoils(address, values);
    },
    async writeRegisters(unit, address, words, timeoutMs) {
      prep(unit, timeoutMs);
      // fc 6 for one register, fc 16 for several (a 32-bit value must change in one request)
      if (words.length === 1) await client.writeRegister(address, words[0]!);
      else await client.writeRegisters(address, words);
    },
    close() {
      return new Promise<void>((resolve) => {
        if (!client.isOpen) return resolve();
        client.close(() => resolve());
      });
    },
  };
}
