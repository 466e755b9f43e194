import { registersOf } from './register-decode.js';
import type { ModbusPoint, ModbusReadFc, ModbusSlave } from './modbus-config.js';

/** Largest read a request may ask for (Modbus Application Protocol v1.1b3 §6.1–6.4). */
export const MAX_READ: Readonly<Record<ModbusReadFc, number>> = Object.freeze({ 1: 2000, 2: 2000, 3: 125, 4: 125 });

/** One request on the wire and the points it feeds. */
export interface PlannedRead {
  fc: ModbusReadFc;
  address: number;
  count: number;
  /** each point with the index of its first register (or bit) in the answer */
  points: { point: ModbusPoint; index: number }[];
}

/**
 * Coalesces a slave's points into as few reads as the protocol allows: per function code, sorted by
 * address, a point joins the current read when it starts at most `maxGap` registers past its end and the
 * read stays within MAX_READ. Overlapping points (a bit field and its whole register) share registers.
 * Pure.
 *
 * @example
 * planReads([{ stream: 'v', fc: 3, address: 0 }, { stream: 'i', fc: 3, address: 1, type: 'float32' }])
 * // → [{ fc: 3, address: 0, count: 3, points: [v@0, i@1] }]
 */
export function planReads(points: readonly ModbusPoint[], maxGap = 0): PlannedRead[] {
  const out: PlannedRead[] = [];
  for (const fc of [1, 2, 3, 4] as const) {
    const mine = points.filter((p) => p.fc === fc).sort((a, b) => a.address - b.address);
    let cur: PlannedRead | undefined;
    for (const p of mine) {
      const span = fc === 1 || fc === 2 ? 1 : registersOf(p.type ?? 'uint16');
      const end = p.address + span;
      if (cur !== undefined && p.address <= cur.address + cur.count + maxGap && Math.max(end, cur.address + cur.count) - cur.address <= MAX_READ[fc]) {
        cur.count = Math.max(cur.count, end - cur.address);
        cur.points.push({ point: p, index: p.address - cur.address });
      } else {
        cur = { fc, address: p.address, count: span, points: [{ point: p, index: 0 }] };
        out.push(cur);
      }
    }
  }
  return out;
}

/** The reads of every slave, computed once at start. */
export function planSlave(s: ModbusSlave): PlannedRead[] {
  return planReads(s.points, s.maxGap ?? 0);
}
