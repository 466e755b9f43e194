import type { DbcMessage, DbcSignal } from './dbc.js';

/**
 * A signal's raw value from a frame's bytes. Intel (@1, little endian): bits from `startBit` upward, least
 * significant first. Motorola (@0, big endian): `startBit` is the most significant bit; the next bit is
 * the one below it in the same byte, and after bit 0 of a byte comes bit 7 of the next byte (DBC's
 * "sawtooth" numbering). Signed values are two's complement over `length` bits. Exact up to 53 bits. Pure.
 */
export function rawSignal(data: Uint8Array, s: Pick<DbcSignal, 'startBit' | 'length' | 'byteOrder' | 'signed'>): number {
  let v = 0;
  if (s.byteOrder === 'intel') {
    let weight = 1;
    for (let i = 0, pos = s.startBit; i < s.length; i++, pos++) {
      if ((data[pos >> 3]! >> (pos & 7)) & 1) v += weight;
      weight *= 2;
    }
  } else {
    let pos = s.startBit;
    for (let i = 0; i < s.length; i++) {
      v = v * 2 + ((data[pos >> 3]! >> (pos & 7)) & 1);
      pos = (pos & 7) === 0 ? pos + 15 : pos - 1;
    }
  }
  if (s.signed && v >= 2 ** (s.length - 1)) v -= 2 ** s.length;
  return v;
}

export interface DecodedSignal {
  name: string;
  /** raw × factor + offset */
  value: number;
  unit: string;
  /** the VAL_ label of the raw value, when the DBC has one */
  label?: string;
  /** outside the DBC's [min|max] (when min < max): a sensor fault or a wrong DBC */
  outOfRange: boolean;
}

/**
 * Every signal a frame carries: unmultiplexed ones always, `mN` ones only when the multiplexer reads N.
 * A frame shorter than a signal needs decodes the signals that fit and reports the rest in `short`. Pure.
 */
export function decodeMessage(msg: DbcMessage, data: Uint8Array): { signals: DecodedSignal[]; short: string[] } {
  const signals: DecodedSignal[] = [];
  const short: string[] = [];
  const bits = data.length * 8;
  const fits = (s: DbcSignal): boolean => (s.byteOrder === 'intel' ? s.startBit + s.length <= bits : lastBitOf(s) < bits && s.startBit < bits);
  const mux = msg.signals.find((s) => s.multiplexer);
  const muxValue = mux !== undefined && fits(mux) ? rawSignal(data, mux) : undefined;
  for (const s of msg.signals) {
    if (s.multiplexValue !== undefined && s.multiplexValue !== muxValue) continue;
    if (!fits(s)) {
      short.push(s.name);
      continue;
    }
    const raw = rawSignal(data, s);
    const value = raw * s.factor + s.offset;
    const d: DecodedSignal = { name: s.name, value: roundScaled(value, s.factor, s.offset), unit: s.unit, outOfRange: s.min < s.max && (value < s.min || value > s.max) };
    const label = s.values?.get(raw);
    if (label !== undefined) d.label = label;
    signals.push(d);
  }
  return { signals, short };
}

function lastBitOf(s: DbcSignal): number {
  let pos = s.startBit;
  for (let i = 1; i < s.length; i++) pos = (pos & 7) === 0 ? pos + 15 : pos - 1;
  return pos;
}

/** 0.1 × 3 is 0.30000000000000004: round to the decimals the factor and offset have (at most 12). */
function roundScaled(v: number, factor: number, offset: number): number {
  const decimals = Math.min(12, Math.max(decimalsOf(factor), decimalsOf(offset)));
  return Number(v.toFixed(decimals));
}

function decimalsOf(x: number): number {
  if (Number.isInteger(x)) return 0;
  const s = String(x);
  const e = /e-(\d+)$/.exec(s);
  if (e !== null) return Number(e[1]) + (s.split('e')[0]!.split('.')[1]?.length ?? 0);
  return s.split('.')[1]?.length ?? 0;
}
