import type { RowError } from '../fleet/device-rows.js';

/**
 * A fleet file for `causeway devices import` (issue 20): CSV with a header naming the columns `id`
 * (required), `kind`, `groups` (separated by `;`), `tags` (`k=v;k2=v2`) and `gateway`. Fields may be
 * double-quoted ("" for a quote). Blank lines and lines starting with # are skipped. Pure.
 *
 * @example
 * parseFleetCsv('id,groups,tags\ngw-1,north;rsu,site=a9\n') // rows: [{line:2,id:'gw-1',groups:['north','rsu'],tags:{site:'a9'}}]
 */
export function parseFleetCsv(text: string): { rows: Array<Record<string, unknown>>; errors: RowError[] } {
  const lines = text.split(/\r?\n/);
  const rows: Array<Record<string, unknown>> = [];
  const errors: RowError[] = [];
  let header: string[] | undefined;
  const COLUMNS = ['id', 'kind', 'groups', 'tags', 'gateway'];
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    const cells = splitCsvLine(raw);
    if (typeof cells === 'string') return void errors.push({ line, message: cells });
    if (header === undefined) {
      header = cells.map((c) => c.trim());
      const unknown = header.filter((h) => !COLUMNS.includes(h));
      if (unknown.length > 0) errors.push({ line, message: `unknown column ${unknown.join(', ')} (columns: ${COLUMNS.join(', ')})` });
      if (!header.includes('id')) errors.push({ line, message: 'the header has no id column' });
      return;
    }
    if (cells.length !== header.length) return void errors.push({ line, message: `${cells.length} fields, the header has ${header.length}` });
    const row: Record<string, unknown> = { line };
    for (let c = 0; c < header.length; c++) {
      const v = cells[c]!.trim();
      const col = header[c]!;
      if (v === '') continue;
      if (col === 'groups') row.groups = v.split(';').map((g) => g.trim()).filter(Boolean);
      else if (col === 'tags') {
        const tags: Record<string, string> = {};
        for (const kv of v.split(';').map((t) => t.trim()).filter(Boolean)) {
          const eq = kv.indexOf('=');
          if (eq <= 0) return void errors.push({ line, message: `tag "${kv}" is not key=value` });
          tags[kv.slice(0, eq).trim()] = kv.slice(eq + 1).trim();
        }
        row.tags = tags;
      } else row[col] = v;
    }
    rows.push(row);
  });
  if (header === undefined) errors.push({ line: 1, message: 'the file is empty (expected a header: id,kind,groups,tags,gateway)' });
  return { rows, errors };
}

/** One CSV line into fields, or what is wrong with it. */
function splitCsvLine(line: string): string[] | string {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return 'unterminated quoted field';
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      if (i < line.length && line[i] !== ',') return `unexpected character after a quoted field at column ${i + 1}`;
    } else {
      const end = line.indexOf(',', i);
      field = end < 0 ? line.slice(i) : line.slice(i, end);
      i = end < 0 ? line.length : end;
    }
    out.push(field);
    if (i >= line.length) return out;
    i++; // the comma
  }
}
