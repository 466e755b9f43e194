import type { ModbusPoint, ModbusSlave } from './modbus-config.js';
import { MODBUS_DEFAULTS } from './modbus-config.js';
import { classifyModbusError, type ModbusLink } from './modbus-link.js';
import { decodeRegisters, encodeRegisters, registersOf } from './register-decode.js';

/**
 * A write a device command asks for: one request on the wire covering one point, or several adjacent
 * points of the same table (coils with function code 15, holding registers with 16).
 */
export interface WriteRequest {
  /** the points written, by address; adjacent, all coils or all holding registers */
  points: ModbusPoint[];
  /** the first address the request writes (the first point's) */
  address: number;
  /** coils: one per point (fc 5 for one, fc 15 for several) */
  coils?: boolean[];
  /** registers: every point's registers in address order (scale, offset, type and order applied; fc 6 or 16) */
  words?: number[];
  /** each point's value as its reading would show it, to compare the read-back with */
  values: Array<number | boolean>;
}

const ON = ['on', 'true', '1'];
const OFF = ['off', 'false', '0'];

/** The registers (or coils: 1) a point spans. */
const span = (p: ModbusPoint): number => (p.fc === 1 ? 1 : registersOf(p.type ?? 'uint16'));

/** The value of one point as it will be written and read back, or the refusal. */
function planValue(p: ModbusPoint, raw: string): { coil: boolean; value: boolean } | { words: number[]; value: number } | string {
  if (p.fc === 1) {
    const on = ON.includes(raw) ? true : OFF.includes(raw) ? false : undefined;
    if (on === undefined) return `>err refused ${p.stream} is a coil: on or off, got ${raw}`;
    return { coil: on, value: on };
  }
  const n = Number(raw);
  if (raw === '' || !Number.isFinite(n)) return `>err refused ${p.stream} needs a number, got ${raw}`;
  try {
    const words = encodeRegisters(n, p);
    return { words, value: decodeRegisters(words, p) };
  } catch (err) {
    return `>err refused ${p.stream}: ${(err as Error).message}`;
  }
}

/**
 * Parses a command line for a Modbus slave into a write, or says why not as the reply line a device
 * would send (`>err refused …`: the command router reports it REJECTED). Pure.
 *
 * `write <stream> <value>` writes one point; `write <s1>,<s2>,… <v1>,<v2>,…` writes several adjacent
 * points of one table in one request (function code 15 for coils, 16 for holding registers), so they
 * change together. Every point must be declared `writable`; a gap between them is refused, because the
 * request would also overwrite the undeclared addresses in between.
 *
 * @example
 * planWrite(slave, 'write fan-setpoint 75')   // { points: [fan-setpoint], address: 100, words: [75], values: [75] }
 * planWrite(slave, 'write heater,lamp on,off') // { points: [heater, lamp], address: 0, coils: [true, false], … } (fc 15)
 * planWrite(slave, 'write voltage 1')          // '>err refused voltage is not writable …'
 */
export function planWrite(slave: ModbusSlave, line: string): WriteRequest | string {
  const parts = line.trim().split(/\s+/);
  if (parts[0] !== 'write') return `>err unknown-command ${parts[0] ?? ''}: a Modbus slave takes "write" {stream, value}`;
  if (parts.length !== 3) return '>err refused write needs a stream and a value';
  const streams = parts[1]!.split(',');
  const raws = parts[2]!.split(',');
  if (streams.length !== raws.length) return `>err refused write names ${streams.length} streams and ${raws.length} values`;
  if (new Set(streams).size !== streams.length) return '>err refused write names a stream twice';
  const planned: Array<{ point: ModbusPoint; coil?: boolean; words?: number[]; value: number | boolean }> = [];
  for (const [i, stream] of streams.entries()) {
    const point = slave.points.find((p) => p.stream === stream);
    if (point === undefined) return `>err refused ${slave.device} has no stream ${stream}`;
    if (point.writable !== true) return `>err refused ${stream} is not writable (declare writable: true on a holding register or coil)`;
    const v = planValue(point, raws[i]!);
    if (typeof v === 'string') return v;
    planned.push({ point, ...v });
  }
  if (new Set(planned.map((p) => p.point.fc)).size > 1) return '>err refused one write covers coils or holding registers, not both';
  planned.sort((a, b) => a.point.address - b.point.address);
  for (let i = 1; i < planned.length; i++) {
    const prev = planned[i - 1]!.point;
    const next = planned[i]!.point;
    if (next.address !== prev.address + span(prev)) {
      return `>err refused ${prev.stream} and ${next.stream} are not adjacent (${prev.address}, ${next.address}): one write covers adjacent points only`;
    }
  }
  const points = planned.map((p) => p.point);
  const values = planned.map((p) => p.value);
  const address = points[0]!.address;
  if (points[0]!.fc === 1) return { points, address, coils: planned.map((p) => p.coil!), values };
  return { points, address, words: planned.flatMap((p) => p.words!), values };
}

/**
 * Writes (fc 5 for one coil, fc 15 for several; fc 6 for one register, fc 16 for more) and reads the
 * points back (issue 19: read-back verification); returns the reply line: `>ok <stream>=<value read
 * back> …` or `>err …` (exception code, timeout, or a read-back that differs).
 */
export async function executeWrite(link: ModbusLink, slave: ModbusSlave, w: WriteRequest): Promise<string> {
  const timeoutMs = slave.timeoutMs ?? MODBUS_DEFAULTS.timeoutMs;
  const fc = w.points[0]!.fc;
  try {
    let count: number;
    if (w.coils !== undefined) {
      count = w.coils.length;
      if (count === 1) await link.writeCoil(slave.unit, w.address, w.coils[0]!, timeoutMs);
      else await link.writeCoils(slave.unit, w.address, w.coils, timeoutMs);
    } else {
      count = w.words!.length;
      await link.writeRegisters(slave.unit, w.address, w.words!, timeoutMs);
    }
    const back = await link.read(slave.unit, fc, w.address, count, timeoutMs);
    const read = w.points.map((p) => (w.coils !== undefined ? Boolean(back[p.address - w.address]) : decodeRegisters((back as number[]).slice(p.address - w.address), p)));
    const wrong = w.points.findIndex((_, i) => read[i] !== w.values[i]);
    if (wrong >= 0) return `>err read-back ${w.points[wrong]!.stream}: wrote ${String(w.values[wrong])}, reads ${String(read[wrong])}`;
    return `>ok ${w.points.map((p, i) => `${p.stream}=${String(read[i])}`).join(' ')}`;
  } catch (err) {
    const f = classifyModbusError(err);
    return f.kind === 'exception' ? `>err exception ${f.code} from unit ${slave.unit}` : f.kind === 'timeout' ? `>err timeout: unit ${slave.unit} did not answer` : `>err ${f.kind}${f.kind === 'link' ? ` ${f.message}` : ''}`;
  }
}
