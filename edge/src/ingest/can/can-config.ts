import { readFileSync } from 'node:fs';
import { ConfigError, isValidId } from '@causeway/shared';
import { DbcError, OBD2_PIDS, parseDbc, SLCAN_BITRATES, type Dbc } from '@causeway/shared/can/index.js';

/** Per-signal pacing, so a 1 kHz bus does not flood the outbox (issue 19); the stream rules apply after it. */
export interface SignalPacing {
  /** at most one reading per this many ms per signal (0: every frame) */
  minIntervalMs?: number;
  /** only a value different from the last one passed is a reading */
  onChange?: boolean;
}

export interface CanSource extends SignalPacing {
  /** key in counters and logs; default the path or interface */
  name?: string;
  /** device id of every reading from this bus */
  device: string;
  /** a Lawicel/SLCAN adapter (CANable, USBtin) on a serial port */
  slcan?: { path: string; bitrate?: number; baudRate?: number; timestamps?: boolean };
  /** replay of a candump log (`candump -L`), for tests and reproductions */
  candump?: { path: string; speed?: number };
  /** a kernel CAN interface, read with can-utils' candump (unsupported where the interface or can-utils is missing) */
  socketcan?: { interface: string };
  /** DBC file: its signals become streams (message signals by name) */
  dbc?: string;
  /** decode J1939 SPNs 190 (engine_speed), 84 (vehicle_speed), 96 (fuel_level), multi-packet transport */
  j1939?: boolean;
  /** ask OBD-II mode 01 PIDs on a schedule (slcan or socketcan: a replay cannot transmit) */
  obd2?: { periodMs?: number; pids: number[] };
  /** per stream (signal) pacing, over the source's own */
  signals?: Record<string, SignalPacing>;
}

export const CAN_DEFAULTS = Object.freeze({ bitrate: 500_000, baudRate: 115_200, obd2PeriodMs: 1000, speed: 1 });

export function canSourceName(s: CanSource): string {
  return s.name ?? s.slcan?.path ?? s.candump?.path ?? s.socketcan?.interface ?? 'can';
}

const SOURCE_KEYS = ['name', 'device', 'slcan', 'candump', 'socketcan', 'dbc', 'j1939', 'obd2', 'minIntervalMs', 'onChange', 'signals'];
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isInt = (v: unknown, lo: number, hi: number): boolean => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;

function fail(where: string, what: string, got: unknown): never {
  throw new ConfigError(`${where} must be ${what}, got ${JSON.stringify(got)}`, { key: where });
}

function keysOf(v: Record<string, unknown>, allowed: string[], where: string): void {
  for (const k of Object.keys(v)) if (!allowed.includes(k)) throw new ConfigError(`${where}: unknown key "${k}" (allowed: ${allowed.join(', ')})`, { key: `${where}.${k}` });
}

function validatePacing(p: Record<string, unknown>, where: string): void {
  if (p.minIntervalMs !== undefined && !isInt(p.minIntervalMs, 0, 86_400_000)) fail(`${where}.minIntervalMs`, 'an integer ≥ 0 (ms)', p.minIntervalMs);
  if (p.onChange !== undefined && typeof p.onChange !== 'boolean') fail(`${where}.onChange`, 'true or false', p.onChange);
}

/** Reads and parses a DBC file; a missing or bad one is a ConfigError naming the key, the file and the line. */
export function loadDbc(path: string, key: string): Dbc {
  let text: string;
  try {
    text = readFileSync(path, 'latin1'); // DBC files are Windows-1252 more often than UTF-8
  } catch (err) {
    throw new ConfigError(`${key}: cannot read DBC file ${path}: ${(err as Error).message}`, { key, cause: err });
  }
  return parseDbcText(text, key, path);
}

/** Parses DBC text; a bad one is a ConfigError naming the key, where it came from (a path) and the line. */
export function parseDbcText(text: string, key: string, from?: string): Dbc {
  try {
    return parseDbc(text);
  } catch (err) {
    if (err instanceof DbcError) throw new ConfigError(`${key}: ${from === undefined ? '' : `${from} `}${err.message}`, { key, cause: err });
    throw err;
  }
}

/** Checks `ingest.can` (and reads its DBC files): throws a ConfigError naming the key. */
export function validateCan(v: unknown, key = 'ingest.can', readDbc = true): asserts v is CanSource[] {
  if (!Array.isArray(v)) fail(key, 'an array of CAN sources', v);
  const names = new Set<string>();
  v.forEach((s: unknown, i) => {
    const where = `${key}[${i}]`;
    if (!isObj(s)) fail(where, 'an object {device, slcan | candump | socketcan, dbc?, j1939?, obd2?}', s);
    keysOf(s, SOURCE_KEYS, where);
    if (!isValidId(s.device)) fail(`${where}.device`, 'a valid device id', s.device);
    if (s.name !== undefined && !isValidId(s.name)) fail(`${where}.name`, 'a valid id', s.name);
    const kinds = (['slcan', 'candump', 'socketcan'] as const).filter((k) => s[k] !== undefined);
    if (kinds.length !== 1) throw new ConfigError(`${where} needs exactly one of slcan {path}, candump {path} or socketcan {interface}`, { key: where });
    if (s.slcan !== undefined) {
      const c = s.slcan;
      if (!isObj(c)) fail(`${where}.slcan`, 'an object {path, bitrate?, baudRate?, timestamps?}', c);
      keysOf(c, ['path', 'bitrate', 'baudRate', 'timestamps'], `${where}.slcan`);
      if (typeof c.path !== 'string' || c.path === '') fail(`${where}.slcan.path`, 'a device path like /dev/ttyACM0', c.path);
      if (c.bitrate !== undefined && !SLCAN_BITRATES.includes(c.bitrate as number)) fail(`${where}.slcan.bitrate`, `one of ${SLCAN_BITRATES.join(', ')} (bit/s)`, c.bitrate);
      if (c.baudRate !== undefined && !isInt(c.baudRate, 1, 4_000_000)) fail(`${where}.slcan.baudRate`, 'a positive integer', c.baudRate);
      if (c.timestamps !== undefined && typeof c.timestamps !== 'boolean') fail(`${where}.slcan.timestamps`, 'true or false', c.timestamps);
    }
    if (s.candump !== undefined) {
      const c = s.candump;
      if (!isObj(c)) fail(`${where}.candump`, 'an object {path, speed?}', c);
      keysOf(c, ['path', 'speed'], `${where}.candump`);
      if (typeof c.path !== 'string' || c.path === '') fail(`${where}.candump.path`, 'a candump log file path', c.path);
      if (c.speed !== undefined && (typeof c.speed !== 'number' || !(c.speed >= 0))) fail(`${where}.candump.speed`, 'a number ≥ 0 (1: recorded timing, 0: as fast as possible)', c.speed);
    }
    if (s.socketcan !== undefined) {
      const c = s.socketcan;
      if (!isObj(c)) fail(`${where}.socketcan`, 'an object {interface}', c);
      keysOf(c, ['interface'], `${where}.socketcan`);
      if (typeof c.interface !== 'string' || !/^[\w.-]{1,15}$/.test(c.interface)) fail(`${where}.socketcan.interface`, 'a network interface name like can0', c.interface);
    }
    const name = canSourceName(s as unknown as CanSource);
    if (names.has(name)) throw new ConfigError(`${where}: CAN source ${name} is configured twice`, { key: where });
    names.add(name);
    if (s.dbc !== undefined) {
      if (typeof s.dbc !== 'string' || s.dbc === '') fail(`${where}.dbc`, 'a DBC file path', s.dbc);
      if (readDbc) loadDbc(s.dbc, `${where}.dbc`);
    }
    if (s.j1939 !== undefined && typeof s.j1939 !== 'boolean') fail(`${where}.j1939`, 'true or false', s.j1939);
    if (s.obd2 !== undefined) {
      const o = s.obd2;
      if (!isObj(o)) fail(`${where}.obd2`, 'an object {pids, periodMs?}', o);
      keysOf(o, ['pids', 'periodMs'], `${where}.obd2`);
      if (s.candump !== undefined) throw new ConfigError(`${where}.obd2: OBD-II requests need a source that can transmit (slcan or socketcan), not a replay`, { key: `${where}.obd2` });
      const known = [...OBD2_PIDS.keys()];
      if (!Array.isArray(o.pids) || o.pids.length === 0 || !o.pids.every((p) => known.includes(p as number))) {
        fail(`${where}.obd2.pids`, `a non-empty array of decoded mode 01 PIDs (${known.map((p) => `0x${p.toString(16).padStart(2, '0')} = ${p}`).join(', ')})`, o.pids);
      }
      if (o.periodMs !== undefined && !isInt(o.periodMs, 10, 86_400_000)) fail(`${where}.obd2.periodMs`, 'an integer ≥ 10 (ms)', o.periodMs);
    }
    if (s.dbc === undefined && s.j1939 !== true && s.obd2 === undefined) throw new ConfigError(`${where} decodes nothing: set dbc, j1939 or obd2`, { key: where });
    validatePacing(s, where);
    if (s.signals !== undefined) {
      if (!isObj(s.signals)) fail(`${where}.signals`, 'an object {<stream>: {minIntervalMs?, onChange?}}', s.signals);
      for (const [stream, p] of Object.entries(s.signals)) {
        const sw = `${where}.signals.${stream}`;
        if (!isValidId(stream)) throw new ConfigError(`${sw}: not a valid stream id`, { key: sw });
        if (!isObj(p)) fail(sw, 'an object {minIntervalMs?, onChange?}', p);
        keysOf(p, ['minIntervalMs', 'onChange'], sw);
        validatePacing(p, sw);
      }
    }
  });
}
