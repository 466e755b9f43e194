/**
 * The `Range` header of a GET on a whole representation of `size` bytes (RFC 9110 §14.1.2, §14.2),
 * single byte ranges only. Pure.
 * - undefined: serve the whole (no header, another unit, several ranges, or a syntax error: a server
 *   may ignore a Range it does not take, §14.2);
 * - 'unsatisfiable': 416 with `Content-Range: bytes *\/size` (§15.5.17), e.g. a first byte at or past the end;
 * - `{ start, end }`: 206 with `Content-Range: bytes start-end/size`, end inclusive and clipped to the size.
 */
export function parseByteRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (m === null) return undefined;
  const [, a, b] = m as unknown as [string, string, string];
  if (a === '' && b === '') return undefined;
  if (a === '') {
    // A suffix: the last b bytes [RFC 9110 §14.1.3]; a zero-length suffix is unsatisfiable.
    const n = Number(b);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Number(b);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return 'unsatisfiable';
  if (b !== '' && end < start) return undefined; // invalid syntax, ignored [§14.1.1]
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}
