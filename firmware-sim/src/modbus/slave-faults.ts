import { handlePdu } from './pdu-handler.js';
import type { RegisterBank } from './register-bank.js';

/** Misbehaviour of the simulated slaves (issue 19: timeouts, exception codes, CRC errors, slow slave). */
export interface SlaveFaults {
  /** units that never answer (a dead or unplugged slave) */
  dead?: ReadonlySet<number>;
  /** a request touching this unit's address gets this exception code */
  exceptions?: readonly { unit: number; address: number; code: number }[];
  /** every answer waits this long, ms */
  delayMs?: number;
  /** RTU: every Nth answer goes out with a corrupted CRC */
  badCrcEvery?: number;
}

/** What the slaves on one bus answer: a PDU, or null for no answer at all. Pure apart from bank writes. */
export function slaveAnswer(banks: ReadonlyMap<number, RegisterBank>, faults: SlaveFaults, unit: number, req: Buffer): Buffer | null {
  const bank = banks.get(unit);
  if (bank === undefined || faults.dead?.has(unit)) return null;
  const fc = req[0] ?? 0;
  if (req.length >= 5 && faults.exceptions !== undefined) {
    const start = req.readUInt16BE(1);
    // single writes carry a value, not a quantity, in bytes 3–4
    const qty = fc === 5 || fc === 6 ? 1 : req.readUInt16BE(3);
    const hit = faults.exceptions.find((e) => e.unit === unit && e.address >= start && e.address < start + qty);
    if (hit !== undefined) return Buffer.from([fc | 0x80, hit.code]);
  }
  return handlePdu(req, bank);
}

/** Parses `--exception 3:2:4,5:100:2` (unit:address:code, comma separated). Throws on a bad entry. */
export function parseExceptions(s: string): { unit: number; address: number; code: number }[] {
  return s.split(',').filter((x) => x !== '').map((e) => {
    const [unit, address, code] = e.split(':').map(Number);
    if (![unit, address, code].every((n) => Number.isInteger(n) && n! >= 0) || code! < 1 || code! > 255) throw new RangeError(`bad exception "${e}": expected unit:address:code`);
    return { unit: unit!, address: address!, code: code! };
  });
}
