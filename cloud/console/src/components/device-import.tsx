import { useState } from 'preact/hooks';
import { api, ApiFailure } from '../api.js';
import { parseFleetCsv } from '../../../src/cli/fleet-csv.js';
import type { RowError } from '../../../src/fleet/device-rows.js';
import { ErrorNote } from './error-note.js';

/** Hands `text` to the browser as a file download; the content never goes into a URL the page shows. */
function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Bulk onboarding from a CSV file, as `causeway devices import` (issue 20): columns id, kind, groups (`;`),
 * tags (`k=v;k2=v2`), gateway. Every bad row is listed with its line (the page's parse, then the API's
 * checks) and nothing is imported until all are good; then all at once. The new secrets are handed over
 * as a CSV download, shown nowhere on the page.
 */
export function DeviceImport({ onImported }: { onImported: () => void }) {
  const [text, setText] = useState('');
  const [name, setName] = useState('fleet.csv');
  const [bad, setBad] = useState<RowError[]>([]);
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const refused = (err: unknown): RowError[] | undefined => (err instanceof ApiFailure && err.code === 'BATCH_INVALID' ? ((err.details as { rows?: RowError[] } | undefined)?.rows ?? []) : undefined);
  const run = async (dryRun: boolean): Promise<void> => {
    setError(undefined);
    setNote('');
    setBad([]);
    const parsed = parseFleetCsv(text);
    try {
      if (parsed.errors.length > 0 || dryRun) {
        // the API checks the rows the page could parse, so every bad row shows at once
        const check = async (): Promise<{ refused?: RowError[]; create?: unknown[]; unchanged?: unknown[] }> => {
          try {
            return await api('POST', '/v1/devices:batch', { devices: parsed.rows, dryRun: true });
          } catch (err) {
            const rows = refused(err);
            if (rows === undefined) throw err;
            return { refused: rows };
          }
        };
        const r = parsed.rows.length > 0 ? await check() : { refused: [] };
        const all = [...parsed.errors, ...(r.refused ?? [])];
        if (all.length > 0) return setBad(all);
        return setNote(`dry run: ${r.create?.length ?? 0} to create, ${r.unchanged?.length ?? 0} unchanged`);
      }
      const r = await api<{ created: Array<{ id: string; kind: string; secret: string }>; unchanged: string[] }>('POST', '/v1/devices:batch', { devices: parsed.rows });
      if (r.created.length > 0) download(`${name.replace(/\.csv$/i, '')}.secrets.csv`, 'id,kind,secret\n' + r.created.map((c) => `${c.id},${c.kind},${c.secret}\n`).join(''), 'text/csv');
      setNote(`imported ${r.created.length}, unchanged ${r.unchanged.length}${r.created.length > 0 ? '; the new secrets were downloaded as a CSV file (shown once: keep it safe)' : ''}`);
      onImported();
    } catch (err) {
      const rows = refused(err);
      if (rows !== undefined) setBad(rows);
      else setError(err);
    }
  };
  return (
    <form class="card" aria-labelledby="imp-h" onSubmit={(e) => (e.preventDefault(), void run(false))}>
      <h2 id="imp-h">Import a fleet (CSV)</h2>
      <p class="hint">
        Columns <code>id,kind,groups,tags,gateway</code>; groups separated by <code>;</code>, tags as <code>k=v;k2=v2</code>. All rows or none.
      </p>
      <label>
        CSV file
        <input
          type="file"
          accept=".csv,text/csv"
          onChange={(e) => {
            const f = e.currentTarget.files?.[0];
            if (f === undefined) return;
            setName(f.name);
            void f.text().then(setText);
          }}
        />
      </label>
      <label>
        or its text
        <textarea class="code" rows={5} value={text} onInput={(e) => setText(e.currentTarget.value)} spellcheck={false} />
      </label>
      {bad.length === 0 ? null : (
        <div role="alert" data-testid="import-errors">
          <p class="error">
            {bad.length} bad row{bad.length === 1 ? '' : 's'}; nothing was imported:
          </p>
          <ul>
            {bad.map((b) => (
              <li key={`${b.line}:${b.message}`}>
                line {b.line}
                {b.id ? ` (${b.id})` : ''}: {b.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      {note === '' ? null : <p role="status">{note}</p>}
      <ErrorNote error={error} />
      <div class="row">
        <button type="button" onClick={() => void run(true)} disabled={text.trim() === ''}>
          Check (dry run)
        </button>
        <button type="submit" disabled={text.trim() === ''}>
          Import
        </button>
      </div>
    </form>
  );
}
