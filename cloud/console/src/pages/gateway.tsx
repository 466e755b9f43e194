import { useMemo, useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { Badge, Online, StateBadge } from '../components/badge.js';
import { ErrorNote } from '../components/error-note.js';
import { LineChart } from '../components/line-chart.js';
import { telemetrySeries, type QueueMsg as Msg } from '../parse.js';
import { usePoll } from '../components/use-poll.js';
import { ConfigDiff, loadConfigState } from '../components/config-diff.js';
import { RemoteChecks } from '../components/remote-checks.js';
import { SupportBundle } from '../components/support-bundle.js';
import { ago, bytes, DASH, duration, num, offset as clockOffset, tags, text, time } from '../format.js';
import type { StatusRecord } from './fleet.js';
import { Table } from '../components/table.js';

const recent = (queue: string, gw: string, limit: number, signal: AbortSignal) =>
  api<{ messages: Msg[] }>('GET', `/v1/queues/${queue}/recent?gateway=${seg(gw)}&limit=${limit}`, undefined, signal).then((r) => r.messages);


/** One gateway: its devices and streams, a live chart, events, commands, config and status history. */
export function GatewayPage({ id }: { id: string }) {
  const entry = usePoll((s) => api('GET', `/v1/devices/${seg(id)}`, undefined, s), 3000, [id]);
  const devices = usePoll((s) => api<{ devices: any[] }>('GET', `/v1/devices?gateway=${seg(id)}`, undefined, s), 10_000, [id]);
  const telemetry = usePoll((s) => recent('telemetry', id, 300, s), 2000, [id]);
  const events = usePoll((s) => recent('events', id, 50, s), 5000, [id]);
  const status = usePoll((s) => recent('status', id, 20, s), 5000, [id]);
  // Its latest status and health from the fleet status store (absent without the control plane: a 404).
  const view = usePoll((s) => api<{ status?: StatusRecord }>('GET', `/v1/gateways/${seg(id)}`, undefined, s).catch(() => ({}) as { status?: StatusRecord }), 3000, [id]);
  const commands = usePoll((s) => api<{ commands: any[] }>('GET', '/v1/commands?limit=200', undefined, s), 5000, [id]);
  const cfg = usePoll((s) => loadConfigState(id, s, { running: false }), 3000, [id]);
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
      <Health st={view.data?.status} />
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
          <ConfigDiff state={cfg.data === undefined ? undefined : { ...cfg.data, ...(view.data?.status?.health === undefined ? {} : { running: view.data.status.health.configVersion }) }} />
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
                  {typeof m.envelope?.health?.outbox?.records === 'number' ? `, backlog ${num(m.envelope.health.outbox.records)}` : ''}
                </li>
              ))}
          </ul>
        </div>
      </div>
      <h2>Events and alarms</h2>
      <Table testid="gw-events" columns={['Time', 'Device', 'Event', 'Severity', 'Data']}>
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
      </Table>
      <h2>Latest readings</h2>
      <Table testid="gw-readings" columns={['Time', 'Topic', 'Value']}>
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
      </Table>
      <RemoteChecks id={id} />
      <SupportBundle id={id} />
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

/** The health it last reported: what an operator checks first when a gateway is in trouble. */
function Health({ st }: { st: StatusRecord | undefined }) {
  const h = st?.health;
  if (st === undefined) return null;
  const facts: Array<[string, string]> = [
    ['Agent', st.agentVersion ?? DASH],
    ['Last status', ago(st.receivedAt)],
    ['Backlog', h === undefined ? DASH : `${num(h.outbox.records)} records, ${bytes(h.outbox.bytes)}`],
    ['Oldest in backlog', h === undefined || h.outbox.records === 0 ? DASH : duration(h.outbox.oldestAgeSeconds * 1000)],
    ['Evictions / expiries', h === undefined ? DASH : `${num(h.evictions)} / ${num(h.expiries)}`],
    ['Disk free', bytes(h?.diskFreeBytes)],
    ['Memory free', bytes(h?.memFreeBytes)],
    ['Uptime', h === undefined ? DASH : duration(h.uptimeSeconds * 1000)],
    ['Clock offset', clockOffset(st.clockOffsetMs)],
    ['Config applied', h === undefined ? DASH : `v${h.configVersion}`],
  ];
  return (
    <>
      <h2>Health</h2>
      <dl class="facts" data-testid="gw-health">
        {facts.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      {h?.lastUplinkError === undefined ? null : (
        <p class="error">
          last uplink error {ago(h.lastUplinkError.at)}: {text(h.lastUplinkError.message)}
        </p>
      )}
    </>
  );
}
