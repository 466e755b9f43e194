import type { BenchResult, ResultRow } from './result.js';
import { machineLine, type Machine } from './machine.js';

/** 1234567.8 → "1,234,568"; small figures keep a few significant digits. */
export function formatFigure(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  return v.toPrecision(3);
}

/**
 * causeway ÷ contender for the same case (higher = Causeway faster), or a dash when either side has no
 * figure. Causeway's own row reads 1.00.
 */
export function ratioFor(row: ResultRow, rows: readonly ResultRow[]): string {
  const ours = rows.find((r) => r.case === row.case && r.ours);
  if (ours?.value === undefined || row.value === undefined || row.value === 0) return '—';
  return `${(ours.value / row.value).toFixed(2)}×`;
}

function cells(r: ResultRow, all: readonly ResultRow[]): string[] {
  return [
    r.case,
    r.contender,
    r.value === undefined ? `skipped` : formatFigure(r.value),
    ratioFor(r, all),
    r.value === undefined ? (r.skipped ?? '') : (r.detail ?? ''),
  ];
}

function headers(result: BenchResult): string[] {
  return ['case', 'contender', result.unit, 'causeway ÷ this', 'detail'];
}

/** A fixed-width table for the terminal. */
export function textTable(result: BenchResult): string {
  const head = headers(result);
  const body = result.rows.map((r) => cells(r, result.rows));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (c: string[]): string => c.map((s, i) => (i === 2 || i === 3 ? s.padStart(widths[i]!) : s.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** A block to paste into docs/benchmarks.md: heading, machine, command, table, notes. */
export function markdownBlock(result: BenchResult, machine: Machine, command: string, when: Date, code?: string): string {
  const esc = (s: string): string => s.replaceAll('|', '\\|');
  const head = headers(result);
  const out = [
    `### ${result.name} — ${when.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `- Machine: ${machineLine(machine)}`,
    `- Command: \`${command}\``,
    ...(code === undefined ? [] : [`- Code: ${code}`]),
    '',
    `| ${head.join(' | ')} |`,
    '|---|---|---:|---:|---|',
    ...result.rows.map((r) => `| ${cells(r, result.rows).map(esc).join(' | ')} |`),
  ];
  if (result.notes.length > 0) out.push('', ...result.notes.map((n) => `- ${n}`));
  return out.join('\n');
}
