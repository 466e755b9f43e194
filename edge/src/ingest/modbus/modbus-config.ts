import { ConfigError, isValidId } from '@causeway/shared';

export type ModbusDataType = 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32';
export type ModbusReadFc = 1 | 2 | 3 | 4;
export const DATA_TYPES: readonly ModbusDataType[] = ['int16', 'uint16', 'int32', 'uint32', 'float32'];

/** One value read from a slave: function code 1 (coils), 2 (discrete inputs), 3 (holding) or 4 (input registers). */
export interface ModbusPoint {
  stream: string;
  fc: ModbusReadFc;
  /** 0-based protocol address (register 40001 is fc 3, address 0) */
  address: number;
  /** registers only; default uint16. float32/int32/uint32 span two registers */
  type?: ModbusDataType;
  /** default big: high word first ("ABCD"); little: low word first ("CDAB") */
  wordOrder?: 'big' | 'little';
  /** default big: high byte first within a register; little swaps them ("BADC") */
  byteOrder?: 'big' | 'little';
  scale?: number;
  offset?: number;
  /** bit field: lowest bit (0 = least significant) and width (default 1) of the register value */
  bit?: number;
  bits?: number;
  unit?: string;
  /** fc 3 registers and fc 1 coils only: may be written by a device command */
  writable?: boolean;
}

export interface ModbusSlave {
  /** Modbus unit id (slave address), 0–247 (0 is broadcast: TCP gateways only) */
  unit: number;
  device: string;
  /** poll period, ms (≥ 10) */
  periodMs?: number;
  /** no answer after this long is a timeout, ms */
  timeoutMs?: number;
  /** after a timeout the slave is skipped for backoff (doubling from initialMs to maxMs) */
  backoff?: { initialMs?: number; maxMs?: number };
  /** unused registers a coalesced read may span to join two points (default 0: only contiguous ones) */
  maxGap?: number;
  points: ModbusPoint[];
}

export interface ModbusBus {
  /** key of this bus in counters and logs; default the path or host:port */
  name?: string;
  rtu?: { path: string; baudRate?: number; dataBits?: 7 | 8; parity?: 'none' | 'even' | 'odd'; stopBits?: 1 | 2 };
  tcp?: { host: string; port?: number };
  slaves: ModbusSlave[];
}

export const MODBUS_DEFAULTS = Object.freeze({ periodMs: 1000, timeoutMs: 500, backoffInitialMs: 1000, backoffMaxMs: 60_000, tcpPort: 502, baudRate: 9600 });

export function busName(b: ModbusBus): string {
  return b.name ?? (b.rtu !== undefined ? b.rtu.path : `${b.tcp?.host}:${b.tcp?.port ?? MODBUS_DEFAULTS.tcpPort}`);
}

const BUS_KEYS = ['name', 'rtu', 'tcp', 'slaves'];
const SLAVE_KEYS = ['unit', 'device', 'periodMs', 'timeoutMs', 'backoff', 'maxGap', 'points'];
const POINT_KEYS = ['stream', 'fc', 'address', 'type', 'wordOrder', 'byteOrder', 'scale', 'offset', 'bit', 'bits', 'unit', 'writable'];

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isInt = (v: unknown, lo: number, hi: number): boolean => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;

function keysOf(v: Record<string, unknown>, allowed: string[], where: string): void {
  for (const k of Object.keys(v)) if (!allowed.includes(k)) throw new ConfigError(`${where}: unknown key "${k}" (allowed: ${allowed.join(', ')})`, { key: `${where}.${k}` });
}

function fail(where: string, what: string, got: unknown): never {
  throw new ConfigError(`${where} must be ${what}, got ${JSON.stringify(got)}`, { key: where });
}

function validatePoint(p: unknown, where: string): void {
  if (!isObj(p)) fail(where, 'an object {stream, fc, address, type?, …}', p);
  keysOf(p, POINT_KEYS, where);
  if (!isValidId(p.stream)) fail(`${where}.stream`, 'a valid stream id', p.stream);
  if (![1, 2, 3, 4].includes(p.fc as number)) fail(`${where}.fc`, 'a read function code 1, 2, 3 or 4', p.fc);
  if (!isInt(p.address, 0, 0xffff)) fail(`${where}.address`, 'an integer 0–65535 (0-based protocol address)', p.address);
  const span = p.type === 'int32' || p.type === 'uint32' || p.type === 'float32' ? 2 : 1;
  if ((p.address as number) + span > 0x10000) fail(`${where}.address`, `an address whose ${span} registers end at 65535 at most`, p.address);
  const bitsOnly = p.fc === 1 || p.fc === 2;
  for (const k of ['type', 'wordOrder', 'byteOrder', 'scale', 'offset', 'bit', 'bits'] as const) {
    if (bitsOnly && p[k] !== undefined) throw new ConfigError(`${where}.${k}: function code ${String(p.fc)} reads single bits; ${k} applies to registers (fc 3, 4) only`, { key: `${where}.${k}` });
  }
  if (p.type !== undefined && !DATA_TYPES.includes(p.type as ModbusDataType)) fail(`${where}.type`, `one of ${DATA_TYPES.join(', ')}`, p.type);
  for (const k of ['wordOrder', 'byteOrder'] as const) if (p[k] !== undefined && p[k] !== 'big' && p[k] !== 'little') fail(`${where}.${k}`, '"big" or "little"', p[k]);
  for (const k of ['scale', 'offset'] as const) if (p[k] !== undefined && (typeof p[k] !== 'number' || !Number.isFinite(p[k]))) fail(`${where}.${k}`, 'a finite number', p[k]);
  if (p.scale === 0) fail(`${where}.scale`, 'non-zero', p.scale);
  const width = p.type === 'int32' || p.type === 'uint32' || p.type === 'float32' ? 32 : 16;
  if (p.bit !== undefined) {
    if (p.type === 'float32') throw new ConfigError(`${where}.bit: a bit field of a float32 means nothing`, { key: `${where}.bit` });
    if (!isInt(p.bit, 0, width - 1)) fail(`${where}.bit`, `an integer 0–${width - 1}`, p.bit);
  }
  if (p.bits !== undefined) {
    if (p.bit === undefined) throw new ConfigError(`${where}.bits needs bit (the lowest bit of the field)`, { key: `${where}.bits` });
    if (!isInt(p.bits, 1, width - (p.bit as number))) fail(`${where}.bits`, `an integer 1–${width - (p.bit as number)}`, p.bits);
  }
  if (p.unit !== undefined && typeof p.unit !== 'string') fail(`${where}.unit`, 'a string', p.unit);
  if (p.writable !== undefined) {
    if (typeof p.writable !== 'boolean') fail(`${where}.writable`, 'true or false', p.writable);
    if (p.writable && p.fc !== 1 && p.fc !== 3) throw new ConfigError(`${where}.writable: only coils (fc 1) and holding registers (fc 3) can be written`, { key: `${where}.writable` });
    if (p.writable && p.bit !== undefined) throw new ConfigError(`${where}.writable: a bit field cannot be written on its own`, { key: `${where}.writable` });
  }
}

function validateSlave(s: unknown, where: string, tcp: boolean): void {
  if (!isObj(s)) fail(where, 'an object {unit, device, points, …}', s);
  keysOf(s, SLAVE_KEYS, where);
  if (!isInt(s.unit, tcp ? 0 : 1, tcp ? 255 : 247)) fail(`${where}.unit`, tcp ? 'a unit id 0–255' : 'a slave address 1–247', s.unit);
  if (!isValidId(s.device)) fail(`${where}.device`, 'a valid device id', s.device);
  if (s.periodMs !== undefined && !isInt(s.periodMs, 10, 86_400_000)) fail(`${where}.periodMs`, 'an integer ≥ 10 (ms)', s.periodMs);
  if (s.timeoutMs !== undefined && !isInt(s.timeoutMs, 1, 60_000)) fail(`${where}.timeoutMs`, 'an integer 1–60000 (ms)', s.timeoutMs);
  if (s.maxGap !== undefined && !isInt(s.maxGap, 0, 100)) fail(`${where}.maxGap`, 'an integer 0–100 (registers)', s.maxGap);
  if (s.backoff !== undefined) {
    if (!isObj(s.backoff)) fail(`${where}.backoff`, 'an object {initialMs?, maxMs?}', s.backoff);
    keysOf(s.backoff, ['initialMs', 'maxMs'], `${where}.backoff`);
    for (const k of ['initialMs', 'maxMs'] as const) if (s.backoff[k] !== undefined && !isInt(s.backoff[k], 1, 86_400_000)) fail(`${where}.backoff.${k}`, 'a positive integer (ms)', s.backoff[k]);
  }
  if (!Array.isArray(s.points) || s.points.length === 0) fail(`${where}.points`, 'a non-empty array of points', s.points);
  const streams = new Set<string>();
  s.points.forEach((p: unknown, i) => {
    validatePoint(p, `${where}.points[${i}]`);
    const stream = (p as ModbusPoint).stream;
    if (streams.has(stream)) throw new ConfigError(`${where}.points[${i}].stream ${stream} is mapped twice for device ${String(s.device)}`, { key: `${where}.points[${i}].stream` });
    streams.add(stream);
  });
}

/** Checks `ingest.modbus`: throws a ConfigError naming the key, the value and what was expected. */
export function validateModbus(v: unknown, key = 'ingest.modbus'): asserts v is ModbusBus[] {
  if (!Array.isArray(v)) fail(key, 'an array of buses', v);
  const names = new Set<string>();
  const devices = new Set<string>();
  v.forEach((b: unknown, i) => {
    const where = `${key}[${i}]`;
    if (!isObj(b)) fail(where, 'an object {rtu | tcp, slaves}', b);
    keysOf(b, BUS_KEYS, where);
    if ((b.rtu === undefined) === (b.tcp === undefined)) throw new ConfigError(`${where} needs exactly one of rtu {path, baudRate?} or tcp {host, port?}`, { key: where });
    if (b.name !== undefined && !isValidId(b.name)) fail(`${where}.name`, 'a valid id', b.name);
    if (b.rtu !== undefined) {
      const r = b.rtu;
      if (!isObj(r)) fail(`${where}.rtu`, 'an object {path, baudRate?, dataBits?, parity?, stopBits?}', r);
      keysOf(r, ['path', 'baudRate', 'dataBits', 'parity', 'stopBits'], `${where}.rtu`);
      if (typeof r.path !== 'string' || r.path === '') fail(`${where}.rtu.path`, 'a device path like /dev/ttyUSB0', r.path);
      if (r.baudRate !== undefined && !isInt(r.baudRate, 1, 4_000_000)) fail(`${where}.rtu.baudRate`, 'a positive integer', r.baudRate);
      if (r.dataBits !== undefined && r.dataBits !== 7 && r.dataBits !== 8) fail(`${where}.rtu.dataBits`, '7 or 8', r.dataBits);
      if (r.parity !== undefined && !['none', 'even', 'odd'].includes(r.parity as string)) fail(`${where}.rtu.parity`, '"none", "even" or "odd"', r.parity);
      if (r.stopBits !== undefined && r.stopBits !== 1 && r.stopBits !== 2) fail(`${where}.rtu.stopBits`, '1 or 2', r.stopBits);
    } else {
      const t = b.tcp;
      if (!isObj(t)) fail(`${where}.tcp`, 'an object {host, port?}', t);
      keysOf(t, ['host', 'port'], `${where}.tcp`);
      if (typeof t.host !== 'string' || t.host === '') fail(`${where}.tcp.host`, 'a host name or address', t.host);
      if (t.port !== undefined && !isInt(t.port, 1, 65535)) fail(`${where}.tcp.port`, 'a TCP port 1–65535', t.port);
    }
    const name = busName(b as unknown as ModbusBus);
    if (names.has(name)) throw new ConfigError(`${where}: bus ${name} is configured twice`, { key: where });
    names.add(name);
    if (!Array.isArray(b.slaves) || b.slaves.length === 0) fail(`${where}.slaves`, 'a non-empty array of slaves', b.slaves);
    const units = new Set<number>();
    b.slaves.forEach((s: unknown, j) => {
      const sw = `${where}.slaves[${j}]`;
      validateSlave(s, sw, b.tcp !== undefined);
      const { unit, device } = s as ModbusSlave;
      if (units.has(unit)) throw new ConfigError(`${sw}.unit ${unit} appears twice on bus ${name}`, { key: `${sw}.unit` });
      units.add(unit);
      if (devices.has(device)) throw new ConfigError(`${sw}.device ${device} is polled twice (one device, one slave)`, { key: `${sw}.device` });
      devices.add(device);
    });
  });
}
