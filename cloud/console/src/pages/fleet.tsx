import { useEffect, useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { Badge, Online } from '../components/badge.js';
import { ErrorNote } from '../components/error-note.js';
import { usePoll } from '../components/use-poll.js';
import { ago, DASH, duration, num, tags } from '../format.js';

const PAGE = 100;

interface FleetAnswer {
  total: number;
  offset: number;
  counts: { gateways: number; online: number; offline: number; inSync: number; drifted: number; disabled: number };
  gateways: GatewayRow[];
}

/** A fleet row: the registry entry, its config state, and health fields when the API reports them. */
interface GatewayRow {
  id: string;
  online: boolean;
  enabled: boolean;
  lastSeenAt?: number;
  groups: string[];
  tags: Record<string, string>;
  agentVersion?: string;
  version?: string;
  evictions?: number;
  backlog?: { records?: number; oldestAgeMs?: number; evictions?: number };
  health?: { agentVersion?: string; backlog?: { records?: number; oldestAgeMs?: number; evictions?: number }; evictions?: number };
  config?: { inSync: boolean; desiredVersion?: number; reportedVersion?: number; status?: string };
}

function versionOf(g: GatewayRow): string {
  return g.agentVersion ?? g.version ?? g.health?.agentVersion ?? DASH;
}
function backlogOf(g: GatewayRow): { records?: number; oldestAgeMs?: number; evictions?: number } | undefined {
  return g.backlog ?? g.health?.backlog;
}

function ConfigCell({ c }: { c: GatewayRow['config'] }) {
  if (c === undefined || c.desiredVersion === undefined) return <span>{DASH}</span>;
  if (c.inSync) return <Badge kind="ok">in sync</Badge>;
  return <Badge kind={c.status === 'REJECTED' || c.status === 'ROLLED_BACK' ? 'bad' : 'warn'}>{`drift (v${c.reportedVersion ?? '?'} of v${c.desiredVersion})`}</Badge>;
}

/** Every gateway, a page at a time from the server, the counts at the top, refreshed every 3 s. */
export function FleetPage() {
  const [group, setGroup] = useState('');
  const [tag, setTag] = useState('');
  const [q, setQ] = useState('');
  const [state, setState] = useState('');
  const [offset, setOffset] = useState(0);
  const [groups, setGroups] = useState<string[]>([]);
  useEffect(() => {
    api<{ groups: Array<{ name: string }> }>('GET', '/v1/groups').then((r) => setGroups(r.groups.map((g) => g.name)), () => undefined);
  }, []);
  useEffect(() => setOffset(0), [group, tag, q, state]);
  const query = new URLSearchParams({ offset: String(offset), limit: String(PAGE) });
  if (group) query.set('group', group);
  if (tag.trim()) query.set('tag', tag.trim());
  if (q.trim()) query.set('q', q.trim());
  if (state) query.set('state', state);
  const fleet = usePoll((signal) => api<FleetAnswer>('GET', `/v1/fleet?${query}`, undefined, signal), 3000, [query.toString()]);
  const d = fleet.data;
  const now = Date.now();
  return (
    <section aria-labelledby="fleet-h">
      <h1 id="fleet-h">Fleet</h1>
      <dl class="counts" aria-label="fleet counts" data-testid="fleet-counts">
        {(
          [
            ['Gateways', d?.counts.gateways],
            ['Online', d?.counts.online],
            ['Offline', d?.counts.offline],
            ['Config in sync', d?.counts.inSync],
            ['Config drift', d?.counts.drifted],
            ['Disabled', d?.counts.disabled],
          ] as const
        ).map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd data-count={k}>{num(v)}</dd>
          </div>
        ))}
      </dl>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="filter gateways">
        <label>
          Group
          <select value={group} onChange={(e) => setGroup(e.currentTarget.value)}>
            <option value="">all groups</option>
            {groups.map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
        </label>
        <label>
          Tag (key=value)
          <input value={tag} onChange={(e) => setTag(e.currentTarget.value)} placeholder="site=depot-3" />
        </label>
        <label>
          Id contains
          <input type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        </label>
        <label>
          State
          <select value={state} onChange={(e) => setState(e.currentTarget.value)}>
            <option value="">any</option>
            <option value="online">online</option>
            <option value="offline">offline</option>
            <option value="drift">config drift</option>
            <option value="disabled">disabled</option>
          </select>
        </label>
      </form>
      <ErrorNote error={fleet.error} />
      <div class="table-wrap">
        <table data-testid="fleet-table" data-ready={d === undefined ? 'no' : 'yes'}>
          <caption class="sr-only">Gateways, sorted by id</caption>
          <thead>
            <tr>
              <th scope="col">Gateway</th>
              <th scope="col">State</th>
              <th scope="col">Last seen</th>
              <th scope="col">Agent</th>
              <th scope="col">Backlog</th>
              <th scope="col">Oldest</th>
              <th scope="col">Evictions</th>
              <th scope="col">Config</th>
              <th scope="col">Groups</th>
              <th scope="col">Tags</th>
            </tr>
          </thead>
          <tbody>
            {d?.gateways.map((g) => {
              const b = backlogOf(g);
              return (
                <tr key={g.id} data-gateway={g.id}>
                  <th scope="row">
                    <a href={`#/gateway/${seg(g.id)}`}>{g.id}</a>
                  </th>
                  <td>{g.enabled ? <Online online={g.online} /> : <Badge kind="muted">disabled</Badge>}</td>
                  <td>{ago(g.lastSeenAt, now)}</td>
                  <td>{versionOf(g)}</td>
                  <td>{num(b?.records)}</td>
                  <td>{b?.oldestAgeMs === undefined ? DASH : duration(b.oldestAgeMs)}</td>
                  <td>{num(b?.evictions ?? g.evictions ?? g.health?.evictions)}</td>
                  <td>
                    <ConfigCell c={g.config} />
                  </td>
                  <td>{g.groups.join(', ') || DASH}</td>
                  <td>{tags(g.tags)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {d !== undefined && d.total === 0 ? <p>No gateway matches.</p> : null}
      <nav class="pager" aria-label="fleet pages">
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
          Previous
        </button>
        <span aria-live="polite">{d === undefined ? 'loading…' : `${d.total === 0 ? 0 : offset + 1}–${Math.min(offset + PAGE, d.total)} of ${d.total}`}</span>
        <button type="button" disabled={d === undefined || offset + PAGE >= d.total} onClick={() => setOffset(offset + PAGE)}>
          Next
        </button>
      </nav>
    </section>
  );
}
