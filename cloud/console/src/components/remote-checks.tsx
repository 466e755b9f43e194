import { useEffect, useRef, useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { StateBadge } from './badge.js';
import { ErrorNote } from './error-note.js';

const SETTLED = new Set(['SUCCEEDED', 'FAILED', 'REJECTED', 'TIMED_OUT', 'EXPIRED', 'CANCELED']);
/** a gateway's answer is data from the field: at most this much log text is inflated in the page */
const MAX_LOG_CHARS = 4 * 1024 * 1024;

/** The lines of a `logs` answer: `{deflatedBase64, lines}`, raw deflate, as `causeway logs` decodes it. */
async function logLines(output: any): Promise<string[]> {
  if (output === null || typeof output !== 'object' || typeof output.deflatedBase64 !== 'string' || output.lines === 0) return [];
  const bytes = Uint8Array.from(atob(output.deflatedBase64), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw')).pipeThrough(new TextDecoderStream());
  const reader = stream.getReader();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    if (text.length > MAX_LOG_CHARS) {
      await reader.cancel();
      throw new Error('the log answer is larger than the page shows; use causeway logs');
    }
  }
  return text.split('\n');
}

interface Asked {
  what: 'logs' | 'diagnose';
  id: string;
  state: string;
  output?: string;
}

/**
 * A gateway's own view, asked over the command channel (issue 20): its recent log and its diagnostics
 * (DNS/TCP/TLS to the cloud, outbox integrity, disk, serial ports), as `causeway logs` and `causeway
 * diagnose` show them. An offline gateway answers when it returns, within the hour.
 */
export function RemoteChecks({ id }: { id: string }) {
  const [level, setLevel] = useState('info');
  const [since, setSince] = useState('3600');
  const [asked, setAsked] = useState<Asked | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const alive = useRef(true);
  useEffect(() => () => void (alive.current = false), []);

  const ask = (what: Asked['what'], args: Record<string, unknown>): void => {
    setError(undefined);
    api<{ command: { id: string } }>('POST', '/v1/commands', { name: what, device: id, args, ttlSeconds: 3600 }).then(async (r) => {
      const cmd = r.command.id;
      setAsked({ what, id: cmd, state: 'SENT' });
      for (;;) {
        await new Promise((res) => setTimeout(res, 1000));
        if (!alive.current) return;
        const t = (await api<{ targets: any[] }>('GET', `/v1/commands/${seg(cmd)}/targets`)).targets[0];
        if (t === undefined) continue;
        if (!SETTLED.has(t.state)) {
          setAsked({ what, id: cmd, state: t.state });
          continue;
        }
        const output = t.state !== 'SUCCEEDED' ? (t.reason ?? JSON.stringify(t.output ?? null)) : what === 'logs' ? (await logLines(t.output)).join('\n') : JSON.stringify(t.output, null, 2);
        setAsked({ what, id: cmd, state: t.state, output });
        return;
      }
    }).catch(setError);
  };

  return (
    <div data-testid="gw-remote">
      <h2>Logs and diagnostics</h2>
      <div class="row">
        <label>
          Level
          <select value={level} onChange={(e) => setLevel(e.currentTarget.value)}>
            <option value="info">info</option>
            <option value="warning">warning</option>
            <option value="error">error</option>
          </select>
        </label>
        <label>
          Since
          <select value={since} onChange={(e) => setSince(e.currentTarget.value)}>
            <option value="900">15 min</option>
            <option value="3600">1 h</option>
            <option value="86400">1 day</option>
          </select>
        </label>
        <button type="button" onClick={() => ask('logs', { sinceSeconds: Number(since), level, maxLines: 1000 })}>
          Fetch its log
        </button>
        <button type="button" onClick={() => ask('diagnose', {})}>
          Run its diagnostics
        </button>
      </div>
      <ErrorNote error={error} />
      {asked === undefined ? null : (
        <div>
          <p role="status">
            {asked.what === 'logs' ? 'log' : 'diagnostics'}: <a href={`#/commands/${seg(asked.id)}`}>command {asked.id}</a> <StateBadge state={asked.state} />
          </p>
          {asked.output === undefined ? null : (
            <pre class="json" data-testid={asked.what === 'logs' ? 'gw-log' : 'gw-diagnose'} tabIndex={0}>
              {asked.output}
            </pre>
          )}
        </div>
      )}
    </div>
  );
}
