/**
 * A fast path for decoding the CBOR that envelopes are made of: definite-length maps with text keys,
 * arrays, integers, floats, text and byte strings, false/true/null. It builds the value directly from
 * the bytes, without cborg's token objects (a batch envelope of 50 readings decodes in a fraction of
 * cborg's time: docs/benchmarks.md, issue 21).
 *
 * It never decides anything cborg would decide differently: on whatever it does not handle itself
 * (indefinite lengths, tags, undefined, other simple values, integers past 2^53, invalid UTF-8, a
 * duplicate or `__proto__` key, a non-text key, nesting deeper than MAX_DEPTH, truncated or trailing
 * bytes) it answers BAIL, and the caller decodes the same bytes with cborg, whose value or error is
 * then the answer. A differential test checks that both agree (shared/test/codec/cbor-fast-decode.test.ts).
 */

/** Returned when the fast path leaves the bytes to cborg. */
export const BAIL: unique symbol = Symbol('cbor-fast-decode: bail');

const MAX_DEPTH = 64;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const keyCache: (string | undefined)[] = new Array(256);

class Bail extends Error {}
const bail = new Bail(); // thrown by reference: no stack is captured on the fast path's way out

/** Decodes one CBOR item filling all of `bytes`, or returns BAIL. Never throws. */
export function fastDecodeCbor(bytes: Uint8Array): unknown {
  const r = new Reader(bytes);
  try {
    const v = r.item(0);
    return r.pos === bytes.length ? v : BAIL;
  } catch {
    return BAIL; // `bail`, or anything unforeseen: cborg decides
  }
}

class Reader {
  pos = 0;
  readonly #view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The argument of a head whose additional information is `info` (0..27), as a safe integer. */
  #arg(info: number): number {
    if (info < 24) return info;
    const b = this.bytes;
    const p = this.pos;
    switch (info) {
      case 24:
        if (p + 1 > b.length) throw bail;
        this.pos = p + 1;
        return b[p]!;
      case 25:
        if (p + 2 > b.length) throw bail;
        this.pos = p + 2;
        return (b[p]! << 8) | b[p + 1]!;
      case 26:
        if (p + 4 > b.length) throw bail;
        this.pos = p + 4;
        return this.#view.getUint32(p);
      case 27: {
        if (p + 8 > b.length) throw bail;
        const hi = this.#view.getUint32(p);
        if (hi > 0x1fffff) throw bail; // past 2^53: cborg gives a BigInt
        this.pos = p + 8;
        return hi * 0x1_0000_0000 + this.#view.getUint32(p + 4);
      }
      default:
        throw bail; // 28..30 reserved, 31 indefinite
    }
  }

  item(depth: number): unknown {
    const b = this.bytes;
    if (this.pos >= b.length) throw bail;
    const head = b[this.pos++]!;
    const major = head >> 5;
    const info = head & 0x1f;
    switch (major) {
      case 0:
        return this.#arg(info);
      case 1: {
        const n = this.#arg(info);
        if (n === Number.MAX_SAFE_INTEGER) throw bail; // -2^53: cborg gives a BigInt
        return -1 - n;
      }
      case 2: {
        const n = this.#arg(info);
        const start = this.pos;
        if (start + n > b.length) throw bail;
        this.pos = start + n;
        const out = new Uint8Array(n); // a plain Uint8Array, as cborg gives, even from a Buffer
        out.set(b.subarray(start, start + n));
        return out;
      }
      case 3:
        return this.#text(this.#arg(info));
      case 4: {
        if (depth >= MAX_DEPTH) throw bail;
        const n = this.#arg(info);
        if (n > b.length - this.pos) throw bail; // each element takes at least a byte
        const out = new Array<unknown>(n);
        for (let i = 0; i < n; i++) out[i] = this.item(depth + 1);
        return out;
      }
      case 5: {
        if (depth >= MAX_DEPTH) throw bail;
        const n = this.#arg(info);
        if (n * 2 > b.length - this.pos) throw bail;
        const out: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          if (this.pos >= b.length) throw bail;
          const kh = b[this.pos++]!;
          if (kh >> 5 !== 3) throw bail; // cborg refuses non-text keys without useMaps
          const key = this.#key(this.#arg(kh & 0x1f));
          // a repeated key, or one the prototype answers (`constructor`, `__proto__`): cborg's to decide
          if (out[key] !== undefined) throw bail;
          out[key] = this.item(depth + 1);
        }
        return out;
      }
      case 6:
        throw bail; // tags
      default:
        return this.#simple(info);
    }
  }

  #simple(info: number): unknown {
    const p = this.pos;
    const b = this.bytes;
    switch (info) {
      case 20:
        return false;
      case 21:
        return true;
      case 22:
        return null;
      case 25:
        if (p + 2 > b.length) throw bail;
        this.pos = p + 2;
        return half((b[p]! << 8) | b[p + 1]!);
      case 26:
        if (p + 4 > b.length) throw bail;
        this.pos = p + 4;
        return this.#view.getFloat32(p);
      case 27:
        if (p + 8 > b.length) throw bail;
        this.pos = p + 8;
        return this.#view.getFloat64(p);
      default:
        throw bail; // undefined (refused by our options), other simple values, break
    }
  }

  /**
   * A map key: the same few keys recur in every reading of a batch, so short ASCII keys come from a
   * small cache (the same string each time, which also keeps V8's object shapes shared).
   */
  #key(n: number): string {
    if (n > 16) return this.#text(n);
    const b = this.bytes;
    const start = this.pos;
    const end = start + n;
    if (end > b.length) throw bail;
    let h = n;
    for (let i = start; i < end; i++) {
      const c = b[i]!;
      if (c >= 0x80) return this.#text(n);
      h = (h * 31 + c) & 0xff;
    }
    const hit = keyCache[h];
    if (hit !== undefined && hit.length === n) {
      let same = true;
      for (let i = 0; i < n; i++) {
        if (hit.charCodeAt(i) !== b[start + i]) {
          same = false;
          break;
        }
      }
      if (same) {
        this.pos = end;
        return hit;
      }
    }
    const key = this.#text(n);
    keyCache[h] = key;
    return key;
  }

  #text(n: number): string {
    const b = this.bytes;
    const start = this.pos;
    const end = start + n;
    if (end > b.length) throw bail;
    this.pos = end;
    if (n < 32) {
      let s = '';
      for (let i = start; i < end; i++) {
        const c = b[i]!;
        if (c >= 0x80) return this.#utf8(start, end);
        s += String.fromCharCode(c);
      }
      return s;
    }
    return this.#utf8(start, end);
  }

  #utf8(start: number, end: number): string {
    try {
      return utf8.decode(this.bytes.subarray(start, end));
    } catch {
      throw bail; // invalid UTF-8: cborg's own answer stands
    }
  }
}

/** IEEE 754 half precision to a number (RFC 8949 appendix D). */
function half(h: number): number {
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  let v: number;
  if (exp === 0) v = mant * 2 ** -24;
  else if (exp !== 31) v = (mant + 1024) * 2 ** (exp - 25);
  else v = mant === 0 ? Infinity : NaN;
  return h & 0x8000 ? -v : v;
}
