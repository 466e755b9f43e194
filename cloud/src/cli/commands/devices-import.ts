import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { CausewayError, EXIT } from '@causeway/shared';
import { ApiRefusedError } from '../api-client.js';
import type { CliContext } from '../cli-context.js';
import { parseFleetCsv } from '../fleet-csv.js';
import type { RowError } from '../../fleet/device-rows.js';

function report(ctx: CliContext, file: string, rows: RowError[]): number {
  ctx.err(`${file}: ${rows.length} bad row${rows.length === 1 ? '' : 's'}; nothing was imported\n`);
  for (const r of [...rows].sort((a, b) => a.line - b.line)) ctx.err(`  line ${r.line}${r.id === undefined ? '' : ` (${r.id})`}: ${r.message}\n`);
  return EXIT.DATAERR;
}

/**
 * `causeway devices import FILE [--secrets OUT] [--dry-run]` (issue 20): the CSV is checked by the CLI
 * and the API (every bad row, with its line), then imported all-or-nothing; the new secrets go to OUT
 * (default FILE.secrets.csv), created mode 0600 and never overwritten — never to the terminal.
 */
export async function importDevices(ctx: CliContext, file: string, opts: { secrets?: string; dryRun: boolean }): Promise<number> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CausewayError('USAGE', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  const parsed = parseFleetCsv(text);
  const call = async (dryRun: boolean): Promise<any> => {
    try {
      return await ctx.api.call('POST', '/v1/devices:batch', { devices: parsed.rows, dryRun });
    } catch (err) {
      if (err instanceof ApiRefusedError && err.code === 'BATCH_INVALID') return { refused: (err.details as { rows: RowError[] }).rows };
      throw err;
    }
  };
  if (parsed.errors.length > 0 || opts.dryRun) {
    // The API checks the rows the CLI could parse, so every bad row is reported in one go.
    const r = parsed.rows.length > 0 ? await call(true) : { refused: [] };
    const bad = [...parsed.errors, ...(r.refused ?? [])];
    if (bad.length > 0) return report(ctx, file, bad);
    ctx.out(`dry run: ${r.create.length} to create, ${r.unchanged.length} unchanged\n`);
    return 0;
  }
  const out = opts.secrets ?? `${file}.secrets.csv`;
  // Created before the import, exclusively and private: the secrets are shown once, and must not be lost
  // to a file that cannot be written, nor land in one someone else can read.
  let fd: number;
  try {
    fd = openSync(out, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CausewayError('USAGE', code === 'EEXIST' ? `${out} exists; move it away or pass --secrets NEWFILE (it is never overwritten)` : `cannot create ${out}: ${code ?? (err as Error).message}`, { cause: err });
  }
  try {
    const r = await call(false);
    if (r.refused !== undefined) return report(ctx, file, r.refused);
    writeSync(fd, 'id,kind,secret\n' + r.created.map((c: any) => `${c.id},${c.kind},${c.secret}\n`).join(''));
    ctx.out(`imported ${r.created.length}, unchanged ${r.unchanged.length}${r.created.length > 0 ? `; secrets in ${out} (mode 0600)` : ''}\n`);
    return 0;
  } finally {
    closeSync(fd);
  }
}
