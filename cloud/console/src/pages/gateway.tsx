import { useMemo, useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { Badge, Online, StateBadge } from '../components/badge.js';
import { ErrorNote } from '../components/error-note.js';
import { LineChart } from '../components/line-chart.js';
import { telemetrySeries, type QueueMsg as Msg } from '../parse.js';
import { usePoll } from '../components/use-poll.js';
import { diffDocs } from '../../../src/cli/config-diff.js';
import { ago, DASH, tags, text, time } from '../format.js';

const recent = (queue: string, gw: string, limit: number, signal: AbortSignal) =>
  api<{ messages: Msg[] }>('GET', `/v1/queues/${queue}/recent?gateway=${seg(gw)}&limit=${limit}`, undefined, signal).then((r) => r.messages);


/** One gateway: its devices and streams, a live chart, events, commands, config and status history. */
export function GatewayPage({ id }: { id: string }) {
  const entry = usePoll((s) => api('GET', `/v1/devices/${seg(id)}`, undefined, s), 3000, [id]);
  const devices = usePoll((s) => api<{ devices: any[] }>('GET', `/v1/devices?gateway=${seg(id)}`, undefined, s), 10_000, [id]);
  const telemetry = usePoll((s) => recent('telemetry', id, 300, s), 2000, [id]);
  const events = usePoll((s) => recent('events', id, 50, s), 5000, [id]);
  const status = usePoll((s) => recent('status', id, 20, s), 5000, [id]);
  const commands = usePoll((s) => api<{ commands: any[] }>('GET', '/v1/commands?limit=200', undefined, s), 5000, [id]);
  const cfg = usePoll(
    async (s) => {
      const st = await api<{ gateways: any[] }>('GET', '/v1/config/status', undefined, s);
      const row = st.gateways.find((g) => g.gateway === id);
      const desired = await api('GET', `/v1/config/gateways/${seg(id)}`, undefined, s).catch(() => undefined);
      // What the gateway last reported running, as the document of that version, to diff with the desired.
      const rv: number | undefined = row?.reportedVersion;
      const reported = rv === undefined || rv === desired?.version ? desired : await api('GET', `/v1/config/gateways/${seg(id)}?version=${rv}`, undefined, s).catch(() => undefined);
      return { row, desired, reported };
    },
    3000,
    [id],
  );
  const series = useMemo(() => telemetrySeries(telemetry.data ?? []), [telemetry.data]);
  const [shown, setShown] = useState('');
  const chartSeries = shown === '' ? series.slice(0, 4) : series.filter((s) => s.label === shown);
  const e = entry.data;
  const gwGroups: string[] = e?.groups ?? [];
  const mine = (commands.data?.commands ?? []).filter((c) => c.target.all === true || c.target.device === id || gwGroups.includes(c.target.group) || (devices.data?.devices ?? []).some((d) => d.id === c.target.device));
  const charted = series.map((s) => s.label);
  // Every device/stream seen in recent telemetry, numeric or not (a text stream is listed, not charted).
  const streams = [...new Set((telemetry.data ?? []).flatMap((m) => (m.envelope?.stream === undefined ? [] : [`${String(m.envelope.device)}/${String(m.envelope.stream)}`])))].sort();
  return (
    <section aria-labelledby="gw-h">
      <h1 id="gw-h">
        Gateway <span class="id">{id}</span>
      </h1>
      <ErrorNote error={entry.error} />
      {e === undefined ? null : (
        <dl class="facts">
          <div>
            <dt>State</dt>
            <dd data-testid="gw-state">{e.enabled ? <Online online={e.online} /> : <Badge kind="muted">disabled</Badge>}</dd>
          </div>
          <div>
            <dt>Last seen</dt>
            <dd>{ago(e.lastSeenAt)}</dd>
          </div>
          <div>
            <dt>Groups</dt>
            <dd>{gwGroups.join(', ') || DASH}</dd>
          </div>
          <div>
            <dt>Tags</dt>
            <dd>{tags(e.tags)}</dd>
          </div>
        </dl>
      )}
      <h2>Devices and streams</h2>
      <ul class="chips" data-testid="gw-devices">
        {(devices.data?.devices ?? []).map((d) => (
          <li key={d.id}>
            device <span class="id">{d.id}</span>
          </li>
        ))}
        {streams.map((s) => (
          <li key={s}>
            stream <span class="id">{s}</span>
          </li>
        ))}
        {(devices.data?.devices.length ?? 0) + streams.length === 0 ? <li>none seen yet</li> : null}
      </ul>
      <h2>Recent telemetry</h2>
      <label>
        Stream
        <select value={shown} onChange={(ev) => setShown(ev.currentTarget.value)}>
          <option value="">first four</option>
          {charted.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      {chartSeries.length === 0 ? <p>No numeric telemetry from this gateway in the recent messages.</p> : <LineChart title={`telemetry of ${id}`} series={chartSeries} />}
      <ErrorNote error={telemetry.error} />
      <div class="two">
        <div>
          <h2>Config: desired vs reported</h2>
          <ErrorNote error={cfg.error} />
          <ConfigDiff row={cfg.data?.row} desired={cfg.data?.desired} reported={cfg.data?.reported} />
        </div>
        <div>
          <h2>Status history</h2>
          <ul data-testid="gw-status-history">
            {(status.data ?? [])
              .slice()
              .reverse()
              .map((m) => (
                <li key={m.offset}>
                  {time(m.envelope?.ts ?? m.createdAt)}: {m.envelope?.online ? 'online' : 'offline'}
                  {m.envelope?.agentVersion ? ` (agent ${String(m.envelope.agentVersion)})` : ''}
                </li>
              ))}
          </ul>
        </div>
      </div>
      <h2>Events and alarms</h2>
      <div class="table-wrap">
        <table data-testid="gw-events">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Device</th>
              <th scope="col">Event</th>
              <th scope="col">Severity</th>
              <th scope="col">Data</th>
            </tr>
          </thead>
          <tbody>
            {(events.data ?? [])
              .slice()
              .reverse()
              .map((m) => (
                <tr key={m.offset}>
                  <td>{time(m.envelope?.ts ?? m.createdAt)}</td>
                  <td>{text(m.envelope?.device)}</td>
                  <td>{text(m.envelope?.event ?? m.topic)}</td>
                  <td>{text(m.envelope?.severity)}</td>
                  <td>
                    <code>{text(m.envelope?.data)}</code>
                  </td>
                </tr>
              ))}
          </tbody>
        </table>
      </div>
      <h2>Latest readings</h2>
      <div class="table-wrap">
        <table data-testid="gw-readings">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Topic</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {(telemetry.data ?? [])
              .slice(-10)
              .reverse()
              .map((m) => {
                const r = m.envelope?.readings?.at?.(-1) ?? m.envelope;
                return (
                  <tr key={m.offset}>
                    <td>{time(m.createdAt)}</td>
                    <td class="id">{m.topic}</td>
                    <td>
                      <code>{text(r?.value)}</code>
                    </td>
                  </tr>
                );
              })}
          </tbody>
        </table>
      </div>
      <h2>Command history</h2>
      <ul data-testid="gw-commands">
        {mine.length === 0 ? <li>no commands for this gateway</li> : null}
        {mine.map((c) => (
          <li key={c.id}>
            <a href={`#/commands/${seg(c.id)}`}>{c.name}</a> {time(c.createdAt)} <StateBadge state={c.status} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function ConfigDiff({ row, desired, reported }: { row: any; desired: any; reported: any }) {
  const diff = desired === undefined ? [] : diffDocs(reported?.config ?? {}, desired.config);
  if (row === undefined && desired === undefined) return <p>No desired config applies to this gateway.</p>;
  return (
    <div data-testid="gw-config">
      <p>
        desired v{row?.desiredVersion ?? desired?.version ?? '?'}, reported v{row?.reportedVersion ?? '?'} <StateBadge state={row?.status} />{' '}
        {row?.inSync ? <Badge kind="ok">in sync</Badge> : <Badge kind="warn">drift</Badge>}
      </p>
      {row?.error ? (
        <p class="error">
          {text(row.error.key)}: {text(row.error.message)}
        </p>
      ) : null}
      <h3>Reported (v{row?.reportedVersion ?? '?'}) → desired (v{desired?.version ?? '?'})</h3>
      <pre class="json diff" data-testid="gw-config-diff">
        {diff.length === 0
          ? 'no differences'
          : diff.map((l, i) => (
              <span key={i} class={l.startsWith('+') ? 'add' : 'del'}>
                {l}
              </span>
            ))}
      </pre>
      <details>
        <summary>Desired document</summary>
        <pre class="json">{desired === undefined ? DASH : JSON.stringify(desired.config, null, 2)}</pre>
      </details>
    </div>
  );
}
