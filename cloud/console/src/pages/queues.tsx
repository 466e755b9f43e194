import { useRef, useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { ErrorNote } from '../components/error-note.js';
import { LineChart, type Series } from '../components/line-chart.js';
import { usePoll } from '../components/use-poll.js';
import { num, text, time } from '../format.js';
import { payloadText, type QueueMsg } from '../parse.js';
import { Table } from '../components/table.js';

interface Group {
  queue: string;
  group: string;
  mode: string;
  filter?: string;
  lag?: number;
  committed?: number;
  next?: number;
  inFlight?: number;
}
interface Queue {
  queue: string;
  firstOffset: number;
  nextOffset: number;
  groups: Group[];
}

const HISTORY = 120;

/** Seek a consumer group back (replay) or forward, by offset or by time. */
function Replay({ g, onDone }: { g: Group; onDone: () => void }) {
  const [by, setBy] = useState<'offset' | 'time'>('offset');
  const [value, setValue] = useState('1');
  const [msg, setMsg] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const label = `${g.queue}/${g.group}`;
  return (
    <form
      class="inline-form"
      aria-label={`replay ${label}`}
      onSubmit={(e) => {
        e.preventDefault();
        setError(undefined);
        const to = by === 'offset' ? { offset: Number(value) } : { time: new Date(value).getTime() };
        api<{ offset: number }>('POST', `/v1/queues/${seg(g.queue)}/groups/${seg(g.group)}/seek`, { member: 'default', mode: g.mode, ...(g.filter === undefined ? {} : { filter: g.filter }), ...to }).then(
          (r) => {
            setMsg(`now at offset ${r.offset}`);
            onDone();
          },
          setError,
        );
      }}
    >
      <label>
        Seek by
        <select value={by} onChange={(e) => setBy(e.currentTarget.value as 'offset' | 'time')}>
          <option value="offset">offset</option>
          <option value="time">time</option>
        </select>
      </label>
      <label>
        {by === 'offset' ? 'Offset' : 'Time'}
        <input type={by === 'offset' ? 'number' : 'datetime-local'} min={1} value={value} onInput={(e) => setValue(e.currentTarget.value)} required />
      </label>
      <button type="submit">Replay {label}</button>
      <span role="status">{msg}</span>
      <ErrorNote error={error} />
    </form>
  );
}

/**
 * The newest messages of a queue, as `causeway consume` prints them (offset, time, topic, body), without a
 * consumer group: nothing is acknowledged and no offset moves. Live while shown.
 */
function Recent({ queues }: { queues: string[] }) {
  const [queue, setQueue] = useState('');
  const [gateway, setGateway] = useState('');
  const q = queue || queues[0] || '';
  const recent = usePoll(
    (s) => (q === '' ? Promise.resolve({ messages: [] as QueueMsg[] }) : api<{ messages: QueueMsg[] }>('GET', `/v1/queues/${seg(q)}/recent?limit=50${gateway.trim() === '' ? '' : `&gateway=${encodeURIComponent(gateway.trim())}`}`, undefined, s)),
    2000,
    [q, gateway],
  );
  return (
    <div>
      <h2>Recent messages</h2>
      <div class="row">
        <label>
          Queue
          <select value={q} onChange={(e) => setQueue(e.currentTarget.value)}>
            {queues.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Of gateway
          <input defaultValue={gateway} onChange={(e) => setGateway(e.currentTarget.value)} placeholder="every gateway" />
        </label>
      </div>
      <ErrorNote error={recent.error} />
      <Table testid="recent-table" columns={['Offset', 'Stored', 'Topic', 'Message']}>
        {[...(recent.data?.messages ?? [])].reverse().map((m) => (
          <tr key={m.offset} data-offset={m.offset}>
            <th scope="row">{m.offset}</th>
            <td>{time(m.createdAt)}</td>
            <td class="id">{m.topic}</td>
            <td>
              <code>{text(m.envelope ?? payloadText(m.payloadBase64), 240)}</code>
            </td>
          </tr>
        ))}
      </Table>
    </div>
  );
}

export function QueuesPage() {
  const history = useRef(new Map<string, Array<[number, number]>>());
  const qs = usePoll(
    async (s) => {
      const r = await api<{ queues: Queue[] }>('GET', '/v1/queues', undefined, s);
      const t = Date.now() / 1000;
      for (const q of r.queues)
        for (const g of q.groups) {
          if (g.lag === undefined) continue;
          const k = `${q.queue}/${g.group}`;
          const h = history.current.get(k) ?? [];
          h.push([t, g.lag]);
          if (h.length > HISTORY) h.shift();
          history.current.set(k, h);
        }
      return r.queues;
    },
    2000,
    [],
  );
  const series: Series[] = [...history.current.entries()].map(([label, points]) => ({ label, points: [...points] }));
  return (
    <section aria-labelledby="q-h">
      <h1 id="q-h">Queues</h1>
      <ErrorNote error={qs.error} />
      <Table testid="queues-table" columns={['Queue', 'First offset', 'Next offset', 'Messages held', 'Consumer groups']}>
        {(qs.data ?? []).map((q) => (
          <tr key={q.queue}>
            <th scope="row">{q.queue}</th>
            <td>{num(q.firstOffset)}</td>
            <td>{num(q.nextOffset)}</td>
            <td>{num(q.nextOffset - q.firstOffset)}</td>
            <td>{q.groups.length}</td>
          </tr>
        ))}
      </Table>
      <h2>Consumer groups</h2>
      <LineChart title="lag over time (messages)" series={series} height={180} />
      <Table testid="groups-table" columns={['Queue / group', 'Mode', 'Filter', 'Committed', 'Lag', 'In flight', 'Replay']}>
        {(qs.data ?? []).flatMap((q) =>
          q.groups.map((g) => (
            <tr key={`${q.queue}/${g.group}/${g.mode}/${g.filter ?? ''}`} data-group={`${q.queue}/${g.group}`}>
              <th scope="row" class="id">
                {q.queue}/{g.group}
              </th>
              <td>{g.mode}</td>
              <td class="id">{g.filter ?? '—'}</td>
              <td>{num(g.committed)}</td>
              <td data-testid="lag">{num(g.lag)}</td>
              <td>{num(g.inFlight)}</td>
              <td>{g.group.startsWith('_') ? "the cloud's own group" : <Replay g={g} onDone={qs.refresh} />}</td>
            </tr>
          )),
        )}
      </Table>
      {(qs.data ?? []).every((q) => q.groups.length === 0) ? <p>No consumer groups yet: apps create them by pulling (docs/api.md).</p> : null}
      <Recent queues={(qs.data ?? []).map((q) => q.queue)} />
    </section>
  );
}
