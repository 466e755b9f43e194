import { useEffect, useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { Badge, Online } from '../components/badge.js';
import { ErrorNote } from '../components/error-note.js';
import { useStream } from '../components/use-stream.js';
import { ago, bytes, DASH, duration, num, offset as clockOffset, tags } from '../format.js';

const PAGE = 100;

interface FleetAnswer {
  total: number;
  offset: number;
  counts: { gateways: number; online: number; offline: number; inSync: number; drifted: number; disabled: number };
  gateways: GatewayRow[];
}

/** The health a gateway last reported (shared GatewayHealth, as `GET /v1/fleet` joins it from the fleet status store). */
export interface Health {
  uptimeSeconds: number;
  outbox: { records: number; bytes: number; oldestAgeSeconds: number };
  evictions: number;
  expiries: number;
  diskFreeBytes: number;
  memFreeBytes: number;
  configVersion: number;
  lastUplinkError?: { message: string; at: number };
}

/** Its latest status record: `GET /v1/fleet` rows and `GET /v1/gateways/{id}` carry the same object. */
export interface StatusRecord {
  online: boolean;
  agentVersion?: string;
  health?: Health;
  reportedAt: number;
  receivedAt: number;
  clockOffsetMs?: number;
}

/** A fleet row: the registry entry, its config state and its latest status with health (when it reported one). */
interface GatewayRow {
  id: string;
  online: boolean;
  enabled: boolean;
  lastSeenAt?: number;
  groups: string[];
  tags: Record<string, string>;
  agentVersion?: string;
  status?: StatusRecord;
  config?: { inSync: boolean; desiredVersion?: number; reportedVersion?: number; status?: string };
}

/** Last seen: the later of the broker's last connection and the last status or heartbeat received. */
function lastSeen(g: GatewayRow): number | undefined {
  if (g.online) return g.status?.receivedAt ?? g.lastSeenAt;
  return g.lastSeenAt ?? g.status?.receivedAt;
}

function ConfigCell({ c, applied }: { c: GatewayRow['config']; applied: number | undefined }) {
  if (c === undefined || c.desiredVersion === undefined) return <span>{applied === undefined || applied === 0 ? DASH : `v${applied} applied`}</span>;
  if (c.inSync) return <Badge kind="ok">in sync</Badge>;
  return <Badge kind={c.status === 'REJECTED' || c.status === 'ROLLED_BACK' ? 'bad' : 'warn'}>{`drift (v${c.reportedVersion ?? '?'} of v${c.desiredVersion})`}</Badge>;
}

/** Every gateway, a page at a time from the server, the counts at the top, refreshed live. */
export function FleetPage() {
  const [group, setGroup] = useState('');
  const [tag, setTag] = useState('');
  const [q, setQ] = useState('');
  const [state, setState] = useState('');
  const [where, setWhere] = useState('');
  const [offset, setOffset] = useState(0);
  const [groups, setGroups] = useState<string[]>([]);
  useEffect(() => {
    api<{ groups: Array<{ name: string }> }>('GET', '/v1/groups').then((r) => setGroups(r.groups.map((g) => g.name)), () => undefined);
  }, []);
  useEffect(() => setOffset(0), [group, tag, q, state, where]);
  const query = new URLSearchParams({ offset: String(offset), limit: String(PAGE) });
  if (group) query.set('group', group);
  if (tag.trim()) query.set('tag', tag.trim());
  if (q.trim()) query.set('q', q.trim());
  if (state) query.set('state', state);
  if (where.trim()) query.set('where', where.trim());
  // Pushed by the server (coalesced there: at most one page per interval, only when it changed).
  const fleet = useStream<FleetAnswer>(`/v1/fleet/stream?${query}`, 'fleet', [query.toString()]);
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
          <input defaultValue={tag} onChange={(e) => setTag(e.currentTarget.value)} placeholder="site=depot-3" />
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
        <label>
          Where
          <input defaultValue={where} onChange={(e) => setWhere(e.currentTarget.value)} placeholder="backlog>1000, offline>1h" aria-describedby="where-help" data-testid="fleet-where" />
        </label>
        <p id="where-help" class="hint">
          Health filter, as <code>causeway gateways list --where</code>: backlog, backlogBytes, oldest, offline, evictions, diskFree, version, clockSkew, configVersion… (Enter to apply)
        </p>
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
              <th scope="col">Disk free</th>
              <th scope="col">Clock offset</th>
              <th scope="col">Config</th>
              <th scope="col">Groups</th>
              <th scope="col">Tags</th>
            </tr>
          </thead>
          <tbody>
            {d?.gateways.map((g) => {
              const h = g.status?.health;
              return (
                <tr key={g.id} data-gateway={g.id}>
                  <th scope="row">
                    <a href={`#/gateway/${seg(g.id)}`}>{g.id}</a>
                  </th>
                  <td>{g.enabled ? <Online online={g.online} /> : <Badge kind="muted">disabled</Badge>}</td>
                  <td>{ago(lastSeen(g), now)}</td>
                  <td>{g.agentVersion ?? g.status?.agentVersion ?? DASH}</td>
                  <td data-testid="backlog" title={h === undefined ? undefined : `${bytes(h.outbox.bytes)} in the outbox`}>
                    {num(h?.outbox.records)}
                    {h !== undefined && h.outbox.records > 0 ? ` (${bytes(h.outbox.bytes)})` : ''}
                  </td>
                  <td>{h === undefined ? DASH : h.outbox.records === 0 ? DASH : duration(h.outbox.oldestAgeSeconds * 1000)}</td>
                  <td>{num(h?.evictions)}</td>
                  <td>{bytes(h?.diskFreeBytes)}</td>
                  <td>{clockOffset(g.status?.clockOffsetMs)}</td>
                  <td>
                    <ConfigCell c={g.config} applied={h?.configVersion} />
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
