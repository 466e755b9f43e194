import { useEffect, useState } from 'preact/hooks';
import { api, ApiFailure, seg } from '../api.js';
import { Badge, StateBadge } from '../components/badge.js';
import { ErrorNote } from '../components/error-note.js';
import { usePoll } from '../components/use-poll.js';
import { DASH, text } from '../format.js';

type Scope = 'all' | 'group' | 'gateway';

const scopeKey = (s: Scope, name: string): string => (s === 'all' ? 'all' : `${s}:${name}`);
const scopePath = (s: Scope, name: string): string => (s === 'all' ? '/v1/config/all' : s === 'group' ? `/v1/config/groups/${seg(name)}` : `/v1/config/gateways/${seg(name)}`);

/** Edit the all/group/gateway documents, validated by the cloud (the agent's schema) before saving. */
function Editor({ onSaved }: { onSaved: () => void }) {
  const [scope, setScope] = useState<Scope>('all');
  const [name, setName] = useState('');
  const [src, setSrc] = useState('{}');
  const [check, setCheck] = useState<{ ok: boolean; message: string }>({ ok: true, message: '' });
  const [saved, setSaved] = useState<string>('');
  const [error, setError] = useState<unknown>(undefined);
  // The current document of the scope: the newest history entry for it.
  useEffect(() => {
    if (scope !== 'all' && name.trim() === '') return;
    const ac = new AbortController();
    api<{ history: Array<{ scope: string; doc: unknown }> }>('GET', '/v1/config/history?limit=1000', undefined, ac.signal).then(
      (r) => {
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
      const r = await api<{ version: number; gateways: string[] }>('PUT', scopePath(scope, name.trim()), { config: JSON.parse(src) });
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
          <select value={scope} onChange={(e) => setScope(e.currentTarget.value as Scope)}>
            <option value="all">all gateways</option>
            <option value="group">a group</option>
            <option value="gateway">one gateway</option>
          </select>
        </label>
        {scope === 'all' ? null : (
          <label>
            {scope === 'group' ? 'Group' : 'Gateway id'}
            <input required value={name} onChange={(e) => setName(e.currentTarget.value)} />
          </label>
        )}
      </div>
      <label>
        Document (JSON)
        <textarea class="code" rows={12} value={src} onInput={(e) => setSrc(e.currentTarget.value)} aria-invalid={!check.ok} aria-describedby="cfg-check" spellcheck={false} />
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
  const [error, setError] = useState<unknown>(undefined);
  return (
    <form
      class="card"
      aria-labelledby="merged-h"
      onSubmit={(e) => {
        e.preventDefault();
        setError(undefined);
        api('GET', `/v1/config/gateways/${seg(gw.trim())}`).then(setOut, (err) => {
          setOut(undefined);
          setError(err);
        });
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
        </>
      )}
    </form>
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
      <div class="table-wrap">
        <table data-testid="drift-table">
          <thead>
            <tr>
              <th scope="col">Gateway</th>
              <th scope="col">Desired</th>
              <th scope="col">Reported</th>
              <th scope="col">Status</th>
              <th scope="col">In sync</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
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
          </tbody>
        </table>
      </div>
    </section>
  );
}
