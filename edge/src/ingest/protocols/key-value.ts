import { type Field, type ParseResult, type Protocol, fail, frameText, parseScalar } from './protocol.js';

export interface KeyValueOptions {
  /** between pairs; default: any run of spaces, commas or semicolons */
  pairSeparator?: string;
}

/**
 * `temp=21.5 hum=40 seq=7` lines. Every value must be a number (or true/false): these devices send
 * measurements, so `temp=abc` means a fault and the whole frame goes, rather than half of it.
 */
export function keyValue(opts: KeyValueOptions = {}): Protocol {
  const sep = opts.pairSeparator;
  return {
    name: 'kv',
    parse(frame: Buffer): ParseResult {
      const t = frameText(frame);
      if (!t.ok) return t;
      const pairs = (sep === undefined ? t.text.split(/[\s,;]+/) : t.text.split(sep)).filter((p) => p.trim() !== '');
      if (pairs.length === 0) return fail('malformed', 'no key=value pairs');
      const fields: Field[] = [];
      let ts: number | undefined;
      let seq: string | undefined;
      for (const p of pairs) {
        const eq = p.indexOf('=');
        if (eq <= 0) return fail('malformed', `"${p.slice(0, 40)}" is not key=value`);
        const k = p.slice(0, eq).trim();
        const raw = p.slice(eq + 1);
        if (k === 'seq') {
          seq = raw.trim();
          continue;
        }
        const v = parseScalar(raw);
        if (v === null) return fail('non-numeric', `${k}="${raw.slice(0, 40)}" is not a number`);
        if (k === 'ts') {
          if (typeof v !== 'number' || v < 0) return fail('non-numeric', 'ts must be ms since the epoch');
          ts = v;
        } else fields.push({ name: k, value: v });
      }
      return { ok: true, fields, ...(ts === undefined ? {} : { ts }), ...(seq === undefined ? {} : { seq }) };
    },
  };
}
