/**
 * One row of PostgreSQL's COPY text format: columns separated by a tab, a line ending in "\n", null as
 * `\N`, and backslash, tab, newline and carriage return escaped with a backslash (PostgreSQL docs, COPY,
 * "Text Format"). Pure; numbers must be finite (NaN and ±Infinity go as null), objects go as JSON.
 */
export function copyTextLine(values: readonly unknown[]): string {
  return values.map(copyTextValue).join('\t') + '\n';
}

const NEEDS_ESCAPE = /[\\\t\n\r\0]/;

export function copyTextValue(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '\\N';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  // Most values need no escape: test first (the replace allocates even when nothing matches).
  if (!NEEDS_ESCAPE.test(s)) return s;
  // A NUL cannot be stored in a PostgreSQL text value at all: drop it rather than fail the whole batch.
  return s.replace(/[\\\t\n\r\0]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : ''));
}
