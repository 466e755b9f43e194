import type { ModbusPoint, ModbusSlave } from './modbus-config.js';
import { MODBUS_DEFAULTS } from './modbus-config.js';
import { classifyModbusError, type ModbusLink } from './modbus-link.js';
import { decodeRegisters, encodeRegisters } from './register-decode.js';

/** A write a device command asks for: `write <stream> <value>` (the command line of `causeway send write`). */
export interface WriteRequest {
  point: ModbusPoint;
  /** coils: boolean; registers: the registers to write (scale, offset, type and order applied) */
  coil?: boolean;
  words?: number[];
  /** the value as the reading would show it, to compare the read-back with */
  value: number | boolean;
}

/**
 * Parses a command line for a Modbus slave into a write, or says why not as the reply line a device
 * would send (`>err refused …`: the command router reports it REJECTED). Pure.
 *
 * @example
 * planWrite(slave, 'write fan-setpoint 75') // { point, words: [75], value: 75 }
 * planWrite(slave, 'write voltage 1')       // '>err refused voltage is not writable'
 */
export function planWrite(slave: ModbusSlave, line: string): WriteRequest | string {
  const parts = line.trim().split(/\s+/);
  if (parts[0] !== 'write') return `>err unknown-command ${parts[0] ?? ''}: a Modbus slave takes "write" {stream, value}`;
  if (parts.length !== 3) return '>err refused write needs a stream and a value';
  const [, stream, raw] = parts as [string, string, string];
  const point = slave.points.find((p) => p.stream === stream);
  if (point === undefined) return `>err refused ${slave.device} has no stream ${stream}`;
  if (point.writable !== true) return `>err refused ${stream} is not writable (declare writable: true on a holding register or coil)`;
  if (point.fc === 1) {
    const on = ['on', 'true', '1'].includes(raw) ? true : ['off', 'false', '0'].includes(raw) ? false : undefined;
    if (on === undefined) return `>err refused ${stream} is a coil: on or off, got ${raw}`;
    return { point, coil: on, value: on };
  }
  const n = Number(raw);
  if (raw === '' || !Number.isFinite(n)) return `>err refused ${stream} needs a number, got ${raw}`;
  try {
    const words = encodeRegisters(n, point);
    return { point, words, value: decodeRegisters(words, point) };
  } catch (err) {
    return `>err refused ${stream}: ${(err as Error).message}`;
  }
}

/**
 * Writes (fc 5 for a coil, fc 6 for one register, fc 16 for a 32-bit value) and reads the point back
 * (issue 19: read-back verification); returns the reply line: `>ok <stream>=<value read back>` or
 * `>err …` (exception code, timeout, or a read-back that differs).
 */
export async function executeWrite(link: ModbusLink, slave: ModbusSlave, w: WriteRequest): Promise<string> {
  const timeoutMs = slave.timeoutMs ?? MODBUS_DEFAULTS.timeoutMs;
  const p = w.point;
  try {
    if (w.coil !== undefined) await link.writeCoil(slave.unit, p.address, w.coil, timeoutMs);
    else await link.writeRegisters(slave.unit, p.address, w.words!, timeoutMs);
    const back = await link.read(slave.unit, p.fc, p.address, w.coil !== undefined ? 1 : w.words!.length, timeoutMs);
    const value = w.coil !== undefined ? Boolean(back[0]) : decodeRegisters(back as number[], p);
    if (value !== w.value) return `>err read-back ${p.stream}: wrote ${String(w.value)}, reads ${String(value)}`;
    return `>ok ${p.stream}=${String(value)}`;
  } catch (err) {
    const f = classifyModbusError(err);
    return f.kind === 'exception' ? `>err exception ${f.code} from unit ${slave.unit}` : f.kind === 'timeout' ? `>err timeout: unit ${slave.unit} did not answer` : `>err ${f.kind}${f.kind === 'link' ? ` ${f.message}` : ''}`;
  }
}
