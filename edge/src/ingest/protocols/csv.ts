import { type Field, type ParseResult, type Protocol, fail, frameText, parseScalar } from './protocol.js';

export interface CsvOptions {
  /** field name per column, in order; "" or "-" skips a column; "ts" and "seq" as in the other protocols */
  columns: readonly string[];
  /** default "," */
  separator?: string;
}

/**
 * CSV rows mapped by a configured header. A row with the wrong number of columns is refused (a cut or
 * merged line would otherwise shift values into the wrong streams). A row equal to the header itself is
 * refused as `malformed` too, so a device that repeats its header after a reset is visible in counters.
 */
export function csv(opts: CsvOptions): Protocol {
  const sep = opts.separator ?? ',';
  const cols = opts.columns;
  return {
    name: 'csv',
    parse(frame: Buffer): ParseResult {
      const t = frameText(frame);
      if (!t.ok) return t;
      const cells = t.text.split(sep);
      if (cells.length !== cols.length) return fail('malformed', `row has ${cells.length} columns, expected ${cols.length}`);
      if (cells.every((c, i) => c.trim() === cols[i])) return fail('malformed', 'header row');
      const fields: Field[] = [];
      let ts: number | undefined;
      let seq: string | undefined;
      for (let i = 0; i < cols.length; i++) {
        const name = cols[i]!;
        const cell = cells[i]!;
        if (name === '' || name === '-') continue;
        if (name === 'seq') {
          seq = cell.trim();
          continue;
        }
        if (cell.trim() === '') continue; // empty cell: no value this time
        const v = parseScalar(cell);
        if (v === null) return fail('non-numeric', `column ${name}="${cell.slice(0, 40)}" is not a number`);
        if (name === 'ts') {
          if (typeof v !== 'number' || v < 0) return fail('non-numeric', 'ts must be ms since the epoch');
          ts = v;
        } else fields.push({ name, value: v });
      }
      return { ok: true, fields, ...(ts === undefined ? {} : { ts }), ...(seq === undefined ? {} : { seq }) };
    },
  };
}
