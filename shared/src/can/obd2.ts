/**
 * OBD-II (SAE J1979 / ISO 15765-4) mode 01 "show current data" over 11-bit CAN: a request goes to the
 * functional address 0x7DF as [2, 0x01, PID, padding…]; each ECU answers from 0x7E8–0x7EF with
 * [length, 0x41, PID, A, B, …]. Only single-frame answers (the PIDs here fit in one).
 */
export const OBD2_REQUEST_ID = 0x7df;
export const OBD2_RESPONSE_IDS = { first: 0x7e8, last: 0x7ef };

export interface PidDef {
  pid: number;
  name: string;
  bytes: number;
  unit: string;
  decode: (d: Uint8Array) => number;
  /** the simulator's inverse: value → data bytes */
  encode: (v: number) => number[];
}

/** The mode 01 PIDs decoded (issue 19), by PID; formulas from SAE J1979 Appendix B. */
export const OBD2_PIDS: ReadonlyMap<number, PidDef> = new Map(
  (
    [
      { pid: 0x05, name: 'coolant_temp', bytes: 1, unit: '°C', decode: (d) => d[0]! - 40, encode: (v) => [clamp(Math.round(v + 40))] },
      { pid: 0x0c, name: 'engine_speed', bytes: 2, unit: 'rpm', decode: (d) => (d[0]! * 256 + d[1]!) / 4, encode: (v) => { const r = Math.max(0, Math.min(0xffff, Math.round(v * 4))); return [r >> 8, r & 0xff]; } },
      { pid: 0x0d, name: 'vehicle_speed', bytes: 1, unit: 'km/h', decode: (d) => d[0]!, encode: (v) => [clamp(Math.round(v))] },
      { pid: 0x2f, name: 'fuel_level', bytes: 1, unit: '%', decode: (d) => Number(((d[0]! * 100) / 255).toFixed(2)), encode: (v) => [clamp(Math.round((v * 255) / 100))] },
    ] satisfies PidDef[]
  ).map((p) => [p.pid, p]),
);

function clamp(b: number): number {
  return Math.max(0, Math.min(255, b));
}

/** The 8 data bytes of a mode 01 request for `pid` (padding 0x55, as ISO 15765-4 recommends). Pure. */
export function obd2Request(pid: number): Uint8Array {
  return Uint8Array.of(0x02, 0x01, pid & 0xff, 0x55, 0x55, 0x55, 0x55, 0x55);
}

export type Obd2Answer = { pid: number; name: string; value: number; unit: string } | { error: string } | null;

/**
 * An ECU's frame → the PID's value; null when the frame is no mode 01 answer (another service, a
 * negative response 0x7F is an error). Pure.
 */
export function decodeObd2Answer(id: number, data: Uint8Array): Obd2Answer {
  if (id < OBD2_RESPONSE_IDS.first || id > OBD2_RESPONSE_IDS.last) return null;
  if (data.length < 3) return { error: 'OBD-II answer shorter than 3 bytes' };
  const len = data[0]!;
  if (data[1] === 0x7f) return { error: `OBD-II negative response to service 0x${(data[2] ?? 0).toString(16)} (NRC 0x${(data[3] ?? 0).toString(16)})` };
  if (data[1] !== 0x41) return null;
  const pid = data[2]!;
  const def = OBD2_PIDS.get(pid);
  if (def === undefined) return { error: `OBD-II PID 0x${pid.toString(16).padStart(2, '0')} is not decoded` };
  if (len < 2 + def.bytes || data.length < 3 + def.bytes) return { error: `OBD-II answer for PID 0x${pid.toString(16)} is short (${len} bytes)` };
  return { pid, name: def.name, value: def.decode(data.subarray(3, 3 + def.bytes)), unit: def.unit };
}

/** The answer frame's data for a request: [len, 0x41, pid, …] padded with 0x55; null for a PID we do not know. Pure. */
export function obd2Answer(pid: number, value: number): Uint8Array | null {
  const def = OBD2_PIDS.get(pid);
  if (def === undefined) return null;
  const bytes = def.encode(value);
  const out = new Uint8Array(8).fill(0x55);
  out.set([2 + bytes.length, 0x41, pid, ...bytes]);
  return out;
}

/** The PID a request frame asks for, or null if it is no single-frame mode 01 request. Pure. */
export function parseObd2Request(id: number, data: Uint8Array): number | null {
  if (id !== OBD2_REQUEST_ID && (id < 0x7e0 || id > 0x7e7)) return null;
  if (data.length < 3 || data[0] !== 0x02 || data[1] !== 0x01) return null;
  return data[2]!;
}
