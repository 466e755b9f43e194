/**
 * SAE J1939 on a 29-bit identifier: priority (3 bits), extended data page, data page, PDU format (PF),
 * PDU specific (PS: destination address when PF < 240, group extension otherwise), source address.
 * J1939-21 §5.2: the PGN of a PDU1 message (PF < 240) has its PS byte zero.
 */
export interface J1939Id {
  priority: number;
  pgn: number;
  source: number;
  /** PDU1 (PF < 240) only: 0xFF is global */
  destination?: number;
}

/** Splits a 29-bit id. Pure. */
export function parseJ1939Id(id: number): J1939Id {
  const priority = (id >>> 26) & 0x7;
  const dpEdp = (id >>> 24) & 0x3;
  const pf = (id >>> 16) & 0xff;
  const ps = (id >>> 8) & 0xff;
  const source = id & 0xff;
  if (pf < 240) return { priority, pgn: (dpEdp << 16) | (pf << 8), source, destination: ps };
  return { priority, pgn: (dpEdp << 16) | (pf << 8) | ps, source };
}

/** The 29-bit id of a message: PGN, source, priority (default 6), destination for PDU1 PGNs. Pure. */
export function j1939Id(pgn: number, source: number, priority = 6, destination = 0xff): number {
  const pf = (pgn >> 8) & 0xff;
  const ps = pf < 240 ? destination : pgn & 0xff;
  return ((priority & 7) * 2 ** 26 + ((pgn >> 16) & 3) * 2 ** 24 + pf * 2 ** 16 + ps * 2 ** 8 + (source & 0xff)) >>> 0;
}

/** One suspect parameter: where it sits in its PGN's data and how it scales (J1939-71). */
export interface SpnDef {
  spn: number;
  pgn: number;
  /** stream name its readings get */
  name: string;
  /** 0-based first byte, little endian */
  byte: number;
  bytes: 1 | 2 | 4;
  factor: number;
  offset: number;
  unit: string;
}

/** The SPNs decoded without a DBC (issue 19): engine speed, wheel-based vehicle speed, fuel level. */
export const J1939_SPNS: readonly SpnDef[] = [
  // EEC1 (61444 = 0xF004) bytes 4–5: 0.125 rpm/bit
  { spn: 190, pgn: 61444, name: 'engine_speed', byte: 3, bytes: 2, factor: 0.125, offset: 0, unit: 'rpm' },
  // CCVS1 (65265 = 0xFEF1) bytes 2–3: 1/256 km/h per bit
  { spn: 84, pgn: 65265, name: 'vehicle_speed', byte: 1, bytes: 2, factor: 1 / 256, offset: 0, unit: 'km/h' },
  // DD (65276 = 0xFEFC) byte 2: 0.4 %/bit
  { spn: 96, pgn: 65276, name: 'fuel_level', byte: 1, bytes: 1, factor: 0.4, offset: 0, unit: '%' },
];

/** Largest valid raw value per width (J1939-71 §5.1.3): above it are error (0xFE…) and not available (0xFF…). */
const VALID_MAX: Record<1 | 2 | 4, number> = { 1: 0xfa, 2: 0xfaff, 4: 0xfaffffff };

/**
 * The SPN's value in a PGN's data, or `undefined` when the sender says not available / error (or the
 * data is too short). Pure.
 */
export function decodeSpn(def: SpnDef, data: Uint8Array): number | undefined {
  if (data.length < def.byte + def.bytes) return undefined;
  let raw = 0;
  for (let i = def.bytes - 1; i >= 0; i--) raw = raw * 256 + data[def.byte + i]!;
  if (raw > VALID_MAX[def.bytes]) return undefined;
  return Number((raw * def.factor + def.offset).toFixed(8));
}

/** Raw bytes of an SPN value (the simulator's encoder): value → little-endian bytes at its place. Pure. */
export function encodeSpn(def: SpnDef, value: number, data: Uint8Array): void {
  let raw = Math.round((value - def.offset) / def.factor);
  raw = Math.max(0, Math.min(VALID_MAX[def.bytes], raw));
  for (let i = 0; i < def.bytes; i++) {
    data[def.byte + i] = raw % 256;
    raw = Math.floor(raw / 256);
  }
}
