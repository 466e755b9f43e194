import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiFailure, seg } from '../api.js';
import { Badge, StateBadge } from '../components/badge.js';
import { ErrorNote } from '../components/error-note.js';
import { ConfigDiff, loadConfigState, type ConfigState } from '../components/config-diff.js';
import { usePoll } from '../components/use-poll.js';
import { DASH, text, time } from '../format.js';
import { diffDocs, oneLine } from '../../../src/cli/config-diff.js';
import { Table } from '../components/table.js';

type Scope = 'all' | 'group' | 'gateway';

const scopeKey = (s: Scope, name: string): string => (s === 'all' ? 'all' : `${s}:${name}`);
const scopePath = (s: Scope, name: string): string => (s === 'all' ? '/v1/config/all' : s === 'group' ? `/v1/config/groups/${seg(name)}` : `/v1/config/gateways/${seg(name)}`);

/** Edit the all/group/gateway documents, validated by the cloud (the agent's schema) before saving. */
function Editor({ onSaved }: { onSaved: () => void }) {
  const [scope, setScope] = useState<Scope>('all');
  /** what the id field holds (kept on every keystroke, so a re-render never resets it) … */
  const [draft, setDraft] = useState('');
  /** … and the id the document is loaded for, taken when the field is left */
  const [name, setName] = useState('');
  const [src, setSrc] = useState('{}');
  const [check, setCheck] = useState<{ ok: boolean; message: string }>({ ok: true, message: '' });
  const [saved, setSaved] = useState<string>('');
  const [error, setError] = useState<unknown>(undefined);
  /** the operator typed since the scope was chosen: a late answer must not overwrite that */
  const edited = useRef(false);
  // The current document of the scope: the newest history entry for it. `edited` is cleared where the scope or
  // id changes, not here: effects run after the next frame, and what the operator typed before then is kept.
  useEffect(() => {
    if (scope !== 'all' && name.trim() === '') return;
    const ac = new AbortController();
    api<{ history: Array<{ scope: string; doc: unknown }> }>('GET', '/v1/config/history?limit=1000', undefined, ac.signal).then(
      (r) => {
        if (edited.current) return;
        const cur = r.history.find((h) => h.scope === scopeKey(scope, name.trim()));
        setSrc(JSON.stringify(cur?.doc ?? {}, null, 2));
      },
      () => undefined,
    );
    return () => ac.abort();
  }, [scope, name]);
  // Validate as the operator types (debounced): JSON first, then the cloud's dry run of PUT's checks.
  useEffect(() => {
    let doc: unknown;
    try {
      doc = JSON.parse(src);
    } catch (err) {
      setCheck({ ok: false, message: `not valid JSON: ${(err as Error).message}` });
      return;
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      setCheck({ ok: false, message: 'the document must be a JSON object' });
      return;
    }
    const ac = new AbortController();
    const t = setTimeout(() => {
      api('POST', '/v1/config/validate', { config: doc }, ac.signal).then(
        () => setCheck({ ok: true, message: 'valid for causeway-edge' }),
        (err) => !ac.signal.aborted && setCheck({ ok: false, message: err instanceof ApiFailure ? `${err.code}: ${err.message}` : String(err) }),
      );
    }, 250);
    return () => {
      clearTimeout(t);
      ac.abort();
    };
  }, [src]);
  const save = async (e: Event): Promise<void> => {
    e.preventDefault();
    setError(undefined);
    setSaved('');
    try {
      const r = await api<{ version: number; gateways: string[] }>('PUT', scopePath(scope, draft.trim()), { config: JSON.parse(src) });
      setSaved(`saved as version ${r.version}, pushed to ${r.gateways.length} gateway(s)`);
      onSaved();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form class="card" onSubmit={save} aria-labelledby="cfg-edit-h">
      <h2 id="cfg-edit-h">Desired config</h2>
      <div class="row">
        <label>
          Scope
          <select value={scope} onChange={(e) => {
              edited.current = false;
              setScope(e.currentTarget.value as Scope);
            }}>
            <option value="all">all gateways</option>
            <option value="group">a group</option>
            <option value="gateway">one gateway</option>
          </select>
        </label>
        {scope === 'all' ? null : (
          <label>
            {scope === 'group' ? 'Group' : 'Gateway id'}
            <input required value={draft} onInput={(e) => setDraft(e.currentTarget.value)} onChange={(e) => {
              edited.current = false;
              setName(e.currentTarget.value);
            }} />
          </label>
        )}
      </div>
      <label>
        Document (JSON)
        <textarea class="code" rows={12} value={src} onInput={(e) => {
            edited.current = true;
            setSrc(e.currentTarget.value);
          }} aria-invalid={!check.ok} aria-describedby="cfg-check" spellcheck={false} />
      </label>
      <p id="cfg-check" class={check.ok ? 'hint' : 'error'} data-testid="cfg-check">
        {check.message}
      </p>
      <ErrorNote error={error} />
      <p role="status">{saved}</p>
      <button type="submit" disabled={!check.ok}>
        Save and push
      </button>
    </form>
  );
}

function Merged() {
  const [gw, setGw] = useState('');
  const [out, setOut] = useState<any>(undefined);
  const [cfgState, setCfgState] = useState<ConfigState | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  return (
    <form
      class="card"
      aria-labelledby="merged-h"
      onSubmit={(e) => {
        e.preventDefault();
        setError(undefined);
        setCfgState(undefined);
        api('GET', `/v1/config/gateways/${seg(gw.trim())}`).then(setOut, (err) => {
          setOut(undefined);
          setError(err);
        });
        loadConfigState(gw.trim(), new AbortController().signal).then(setCfgState, () => undefined);
      }}
    >
      <h2 id="merged-h">Merged result for a gateway</h2>
      <label>
        Gateway id
        <input required value={gw} onInput={(e) => setGw(e.currentTarget.value)} />
      </label>
      <button type="submit">Show</button>
      <ErrorNote error={error} />
      {out === undefined ? null : (
        <>
          <p>version {out.version}</p>
          <pre class="json" data-testid="cfg-merged">
            {JSON.stringify(out.config, null, 2)}
          </pre>
          <ConfigDiff state={cfgState} />
        </>
      )}
    </form>
  );
}

interface Change {
  version: number;
  scope: string;
  doc: unknown;
  at: number;
}

const scopeText = (scope: string): string => (scope === 'all' ? 'all gateways' : scope.replace(':', ' '));

/** Every accepted change, newest first, as `causeway config history`; each opens as `causeway config diff V` does. */
function History() {
  const list = usePoll((s) => api<{ history: Change[] }>('GET', '/v1/config/history?limit=200', undefined, s), 5000, []);
  const [open, setOpen] = useState<number | undefined>(undefined);
  const all = list.data?.history ?? [];
  return (
    <div>
      <h2>History</h2>
      <ErrorNote error={list.error} />
      <Table testid="cfg-history" columns={['Version', 'Scope', 'Set at', 'Keys', 'Change']}>
        {all.map((h) => {
          const before = all.find((x) => x.scope === h.scope && x.version < h.version);
          const lines = diffDocs(before?.doc ?? {}, h.doc);
          return (
            <tr key={h.version} data-version={h.version}>
              <th scope="row">{h.version}</th>
              <td>{scopeText(h.scope)}</td>
              <td>{time(h.at)}</td>
              <td class="id">{text(oneLine(h.doc), 160)}</td>
              <td>
                <button type="button" aria-expanded={open === h.version} aria-label={`${open === h.version ? 'Hide' : 'Diff'} version ${h.version}`} onClick={() => setOpen(open === h.version ? undefined : h.version)}>
                  {open === h.version ? 'Hide' : 'Diff'}
                </button>
                {open === h.version ? (
                  <pre class="json" data-testid="cfg-history-diff">
                    {`--- ${before === undefined ? `nothing before version ${h.version}` : `version ${before.version} (${scopeText(before.scope)})`}\n+++ version ${h.version} (${scopeText(h.scope)})\n${lines.length === 0 ? 'no differences' : lines.join('\n')}`}
                  </pre>
                ) : null}
              </td>
            </tr>
          );
        })}
      </Table>
    </div>
  );
}

export function ConfigPage() {
  const status = usePoll((s) => api<{ gateways: any[] }>('GET', '/v1/config/status', undefined, s), 2000, []);
  return (
    <section aria-labelledby="cfg-h">
      <h1 id="cfg-h">Config</h1>
      <div class="two">
        <Editor onSaved={status.refresh} />
        <Merged />
      </div>
      <h2>Drift per gateway</h2>
      <ErrorNote error={status.error} />
      <Table testid="drift-table" columns={['Gateway', 'Desired', 'Reported', 'Status', 'In sync', 'Error']}>
        {(status.data?.gateways ?? []).map((g) => (
          <tr key={g.gateway} data-gateway={g.gateway}>
            <th scope="row">
              <a href={`#/gateway/${seg(g.gateway)}`}>{g.gateway}</a>
            </th>
            <td>{g.desiredVersion ?? DASH}</td>
            <td>{g.reportedVersion ?? DASH}</td>
            <td>
              <StateBadge state={g.status} />
            </td>
            <td data-testid="in-sync">{g.inSync ? <Badge kind="ok">in sync</Badge> : <Badge kind="warn">drift</Badge>}</td>
            <td>{g.error ? `${text(g.error.key)}: ${text(g.error.message)}` : DASH}</td>
          </tr>
        ))}
      </Table>
      <History />
    </section>
  );
}
