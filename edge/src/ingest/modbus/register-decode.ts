import type { ModbusDataType, ModbusPoint } from './modbus-config.js';

/** Registers one value of this type spans (coils and discrete inputs: one bit each). */
export function registersOf(type: ModbusDataType): number {
  return type === 'int32' || type === 'uint32' || type === 'float32' ? 2 : 1;
}

/**
 * The shortest decimal that is the same float32: 230.3 rather than 230.3000030517578, the double the
 * register's bits also are. Nothing is lost (it reads back to the same bits); 9 digits always suffice.
 */
export function shortestFloat32(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  for (let p = 1; p < 9; p++) {
    const d = Number(x.toPrecision(p));
    if (Math.fround(d) === x) return d;
  }
  return Number(x.toPrecision(9));
}

/**
 * The value of one point from the 16-bit words a read returned (`words[0]` is the point's first register,
 * as the slave sent it: high byte first on the wire, Modbus Application Protocol v1.1b3 §4.2). Pure.
 *
 * `byteOrder: 'little'` swaps the two bytes of each register, `wordOrder: 'little'` puts the low word
 * first (the "CDAB" of many power meters). Then, for registers: bit field (`bit`, `bits`) or the typed
 * value, times `scale`, plus `offset`.
 *
 * @example
 * decodeRegisters([0x4148, 0x0000], { type: 'float32' }) // 12.5
 * decodeRegisters([0x0000, 0x4148], { type: 'float32', wordOrder: 'little' }) // 12.5
 */
export function decodeRegisters(words: readonly number[], p: Pick<ModbusPoint, 'type' | 'wordOrder' | 'byteOrder' | 'scale' | 'offset' | 'bit' | 'bits'>): number {
  const n = registersOf(p.type ?? 'uint16');
  if (words.length < n) throw new RangeError(`${p.type ?? 'uint16'} needs ${n} registers, got ${words.length}`);
  const ordered = words.slice(0, n).map((w) => (p.byteOrder === 'little' ? ((w & 0xff) << 8) | ((w >> 8) & 0xff) : w & 0xffff));
  if (p.wordOrder === 'little') ordered.reverse();
  const buf = Buffer.alloc(n * 2);
  ordered.forEach((w, i) => buf.writeUInt16BE(w, i * 2));
  let raw: number;
  if (p.bit !== undefined) {
    const whole = n === 2 ? buf.readUInt32BE(0) : buf.readUInt16BE(0);
    const width = p.bits ?? 1;
    // >>> and a division keep the 32-bit case unsigned
    raw = Math.floor(whole / 2 ** p.bit) % 2 ** width;
  } else {
    switch (p.type ?? 'uint16') {
      case 'int16': raw = buf.readInt16BE(0); break;
      case 'uint16': raw = buf.readUInt16BE(0); break;
      case 'int32': raw = buf.readInt32BE(0); break;
      case 'uint32': raw = buf.readUInt32BE(0); break;
      case 'float32': raw = shortestFloat32(buf.readFloatBE(0)); break;
      default: throw new RangeError(`unknown type ${String(p.type)}`);
    }
  }
  const v = raw * (p.scale ?? 1) + (p.offset ?? 0);
  // 0.1 * 231 = 23.1000000000002: keep the digits a scale can mean, not the float noise
  return p.scale === undefined && p.offset === undefined ? v : Number(v.toPrecision(12));
}

/**
 * The registers to write so that `decodeRegisters(encodeRegisters(v, p), p) === v` (scale and offset
 * undone, rounded to an integer for the integer types). Throws RangeError when the value does not fit.
 */
export function encodeRegisters(value: number, p: Pick<ModbusPoint, 'type' | 'wordOrder' | 'byteOrder' | 'scale' | 'offset'>): number[] {
  const type = p.type ?? 'uint16';
  const raw = (value - (p.offset ?? 0)) / (p.scale ?? 1);
  const n = registersOf(type);
  const buf = Buffer.alloc(n * 2);
  const int = Math.round(raw);
  const fits = (lo: number, hi: number): void => {
    if (!Number.isFinite(raw) || int < lo || int > hi) throw new RangeError(`${value} does not fit a ${type} (raw ${raw})`);
  };
  switch (type) {
    case 'int16': fits(-0x8000, 0x7fff); buf.writeInt16BE(int, 0); break;
    case 'uint16': fits(0, 0xffff); buf.writeUInt16BE(int, 0); break;
    case 'int32': fits(-0x80000000, 0x7fffffff); buf.writeInt32BE(int, 0); break;
    case 'uint32': fits(0, 0xffffffff); buf.writeUInt32BE(int, 0); break;
    case 'float32': if (!Number.isFinite(raw)) throw new RangeError(`${value} is not a finite number`); buf.writeFloatBE(raw, 0); break;
  }
  const words = Array.from({ length: n }, (_, i) => buf.readUInt16BE(i * 2));
  if (p.wordOrder === 'little') words.reverse();
  return p.byteOrder === 'little' ? words.map((w) => ((w & 0xff) << 8) | (w >> 8)) : words;
}
