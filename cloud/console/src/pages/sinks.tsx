import { useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { Badge } from '../components/badge.js';
import { ErrorNote } from '../components/error-note.js';
import { usePoll } from '../components/use-poll.js';
import { ago, num, text } from '../format.js';
import { parseReplayFrom } from '../parse.js';
import { Table } from '../components/table.js';

/** The sinks the cloud's config declares (issue 21): what `causeway sinks` shows, with pause, resume and replay. */
export function SinksPage() {
  const list = usePoll((s) => api<{ sinks: any[] }>('GET', '/v1/sinks', undefined, s), 3000, []);
  const [error, setError] = useState<unknown>(undefined);
  const [note, setNote] = useState('');
  const [replay, setReplay] = useState<Record<string, string>>({});
  const act = (name: string, path: string, body?: unknown, done?: (r: any) => string): void => {
    setError(undefined);
    setNote('');
    api('POST', `/v1/sinks/${seg(name)}/${path}`, body).then((r) => {
      list.refresh();
      if (done !== undefined) setNote(done(r));
    }, setError);
  };
  const sinks = list.data?.sinks ?? [];
  return (
    <section aria-labelledby="sinks-h">
      <h1 id="sinks-h">Sinks</h1>
      <p>
        Telemetry written into PostgreSQL or posted to webhooks, each sink a consumer group of its queue: a target that is down
        adds lag, never loss. Sinks are declared in the cloud's config file (<code>sinks</code>).
      </p>
      <ErrorNote error={error ?? list.error} />
      {note === '' ? null : <p role="status">{note}</p>}
      {list.data !== undefined && sinks.length === 0 ? <p>No sink is declared in this cloud's config.</p> : null}
      <Table testid="sinks-table" columns={['Sink', 'Queue', 'Target', 'State', 'Lag', 'Rows/s', 'Written', 'Failures', 'Last error', 'Actions']}>
        {sinks.map((k) => (
          <tr key={k.name} data-sink={k.name}>
            <th scope="row" class="id">
              {k.name}
            </th>
            <td>
              {k.queue}
              {k.filter ? ` ${k.filter}` : ''}
            </td>
            <td>{k.target}</td>
            <td>
              <Badge kind={k.state === 'running' ? 'ok' : k.state === 'backing off' ? 'bad' : k.state === 'paused' ? 'warn' : 'muted'}>{String(k.state)}</Badge>
            </td>
            <td>{num(k.lag)}</td>
            <td>{num(k.rowsPerSecond)}</td>
            <td>{num(k.counters?.rows)}</td>
            <td>{num(k.counters?.failures)}</td>
            <td>{k.lastError ? `${k.lastError.code}: ${text(k.lastError.message, 160)} (${ago(k.lastError.at)})` : '—'}</td>
            <td class="actions">
              {k.state === 'paused' ? (
                <button type="button" aria-label={`resume ${k.name}`} onClick={() => act(k.name, 'resume')}>
                  Resume
                </button>
              ) : (
                <button type="button" aria-label={`pause ${k.name}`} onClick={() => act(k.name, 'pause')}>
                  Pause
                </button>
              )}
              <form
                class="inline-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  try {
                    act(k.name, 'replay', parseReplayFrom(replay[k.name] ?? ''), (r) => `${k.name} replays from offset ${String(r.offset)}`);
                  } catch (err) {
                    setError(err);
                  }
                }}
              >
                <label>
                  <span class="sr-only">replay {k.name} from (offset, ISO time or earliest)</span>
                  <input placeholder="offset, time or earliest" value={replay[k.name] ?? ''} onInput={(e) => setReplay({ ...replay, [k.name]: e.currentTarget.value })} />
                </label>
                <button type="submit" aria-label={`replay ${k.name}`}>
                  Replay
                </button>
              </form>
            </td>
          </tr>
        ))}
      </Table>
    </section>
  );
}
