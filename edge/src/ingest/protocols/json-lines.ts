import { type Field, type ParseResult, type Protocol, fail, frameText } from './protocol.js';
import { findUnsafeKey } from '@causeway/shared';

const MAX_DEPTH = 4;

/**
 * One JSON object per frame: `{"seq":7,"temp":21.5,"env":{"hum":40}}`. Nested objects flatten to
 * dotted names (`env.hum`); numbers, booleans and strings are values; `ts` (ms since the epoch) and
 * `seq` are taken as the sample time and the ACK number and are not fields themselves. Arrays and
 * non-finite numbers are refused, as is anything but an object at the top.
 */
export const jsonLines: Protocol = {
  name: 'json',
  parse(frame: Buffer): ParseResult {
    const t = frameText(frame);
    if (!t.ok) return t;
    let doc: unknown;
    try {
      doc = JSON.parse(t.text);
    } catch (err) {
      return fail('malformed', `not JSON: ${(err as Error).message}`);
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return fail('malformed', 'JSON frame is not an object');
    const unsafe = findUnsafeKey(doc); // issue 23 item 2
    if (unsafe !== undefined) return fail('malformed', `JSON frame has a forbidden key at ${unsafe}`);
    const fields: Field[] = [];
    let ts: number | undefined;
    let seq: string | undefined;
    const walk = (obj: Record<string, unknown>, prefix: string, depth: number): string | null => {
      for (const [k, v] of Object.entries(obj)) {
        const name = prefix + k;
        if (depth === 0 && k === 'ts') {
          if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return `ts must be ms since the epoch, got ${JSON.stringify(v)}`;
          ts = v;
        } else if (depth === 0 && k === 'seq') {
          if (typeof v !== 'number' && typeof v !== 'string') return `seq must be a number or string`;
          seq = String(v);
        } else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') {
          fields.push({ name, value: v });
        } else if (v === null) {
          continue; // the device has no value for it this time
        } else if (typeof v === 'object' && !Array.isArray(v) && depth < MAX_DEPTH) {
          const r = walk(v as Record<string, unknown>, name + '.', depth + 1);
          if (r !== null) return r;
        } else {
          return `field ${name} is not a number, boolean or string`;
        }
      }
      return null;
    };
    const err = walk(doc as Record<string, unknown>, '', 0);
    if (err !== null) return fail('non-numeric', err);
    return { ok: true, fields, ...(ts === undefined ? {} : { ts }), ...(seq === undefined ? {} : { seq }) };
  },
};
