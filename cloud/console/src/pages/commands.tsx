import { useEffect, useState } from 'preact/hooks';
import { api, seg, streamEvents } from '../api.js';
import { StateBadge } from '../components/badge.js';
import { deliveryBody, DeliveryFields, useDelivery } from '../components/delivery-fields.js';
import { ErrorNote } from '../components/error-note.js';
import { usePoll } from '../components/use-poll.js';
import { duration, text, time } from '../format.js';
import { parseArgs } from '../parse.js';
import { Table } from '../components/table.js';


function NewCommand({ onSent }: { onSent: (id: string) => void }) {
  const [name, setName] = useState('');
  const [delivery, setDelivery] = useDelivery();
  const [args, setArgs] = useState('{}');
  const [error, setError] = useState<unknown>(undefined);
  const parsed = parseArgs(args);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setError(undefined);
    if (!parsed.ok) return;
    try {
      const r = await api<{ command: { id: string } }>('POST', '/v1/commands', { name: name.trim(), args: parsed.value, ...deliveryBody(delivery, 'device') });
      onSent(r.command.id);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="new-cmd-h">
      <h2 id="new-cmd-h">Send a command</h2>
      <label>
        Name
        <input required value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="ping" />
      </label>
      <label>
        Args (JSON object)
        <textarea rows={3} value={args} onInput={(e) => setArgs(e.currentTarget.value)} aria-invalid={!parsed.ok} aria-describedby="args-msg" />
      </label>
      <p id="args-msg" class={parsed.ok ? 'hint' : 'error'} role={parsed.ok ? undefined : 'alert'}>
        {parsed.ok ? 'valid JSON object' : parsed.message}
      </p>
      <DeliveryFields value={delivery} onChange={setDelivery} legend="Target" name="target-kind" oneLabel="one gateway or device" oneField="Gateway or device id" />
      <ErrorNote error={error} />
      <button type="submit" disabled={!parsed.ok}>
        Send
      </button>
    </form>
  );
}

interface Target {
  gateway: string;
  device: string;
  state: string;
  reason?: string;
  output?: unknown;
  updatedAt: number;
  sentAt?: number;
}

/** One command followed live over its event stream: counts and each target's state. */
function FollowCommand({ id }: { id: string }) {
  const [counts, setCounts] = useState<Record<string, number>>({});
  const [targets, setTargets] = useState<Map<string, Target>>(new Map());
  const [done, setDone] = useState<string | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [command, setCommand] = useState<any>(undefined);
  useEffect(() => {
    const ac = new AbortController();
    setTargets(new Map());
    setDone(undefined);
    setError(undefined);
    const key = (t: Target): string => `${t.gateway}\u0000${t.device}`;
    void (async () => {
      try {
        const c = await api('GET', `/v1/commands/${seg(id)}`, undefined, ac.signal);
        setCommand(c.command);
        const ts = await api<{ targets: Target[] }>('GET', `/v1/commands/${seg(id)}/targets`, undefined, ac.signal);
        setTargets(new Map(ts.targets.map((t) => [key(t), t])));
        // Targets arrive in bursts on a broadcast: applied per animation frame, not per event.
        let pending: Target[] = [];
        let frame = 0;
        const flush = (): void => {
          frame = 0;
          const batch = pending;
          pending = [];
          setTargets((m) => {
            const next = new Map(m);
            for (const t of batch) next.set(key(t), { ...next.get(key(t)), ...t });
            return next;
          });
        };
        await streamEvents(
          `/v1/commands/${seg(id)}/stream`,
          (event, data) => {
            if (event === 'counts') setCounts(data);
            else if (event === 'target') {
              pending.push(data);
              frame ||= requestAnimationFrame(flush);
            } else if (event === 'done') {
              setDone(data.status);
              // A target that settled between the read above and the stream's start sent no event (the
              // stream reports the command done then): read the targets again, once, now that they are final.
              void api<{ targets: Target[] }>('GET', `/v1/commands/${seg(id)}/targets`, undefined, ac.signal)
                .then((final) => {
                  pending = []; // older than what was just read
                  setTargets(new Map(final.targets.map((t) => [key(t), t])));
                })
                .catch((err: unknown) => {
                  if (!ac.signal.aborted) setError(err);
                });
            }
          },
          ac.signal,
        );
      } catch (err) {
        if (!ac.signal.aborted) setError(err);
      }
    })();
    return () => ac.abort();
  }, [id]);
  const rows = [...targets.values()].sort((a, b) => (a.gateway + a.device).localeCompare(b.gateway + b.device));
  return (
    <section class="card" aria-labelledby="follow-h" data-testid="follow">
      <h2 id="follow-h">
        Command <span class="id">{command?.name ?? ''}</span> <code>{id}</code> <StateBadge state={done ?? command?.status} />
      </h2>
      <p aria-live="polite" data-testid="follow-counts">
        {Object.entries(counts)
          .filter(([, n]) => n > 0)
          .map(([s, n]) => `${s}=${n}`)
          .join(' ') || 'no targets yet'}
      </p>
      <ErrorNote error={error} />
      <button
        type="button"
        disabled={done !== undefined}
        onClick={() => {
          api('POST', `/v1/commands/${seg(id)}/cancel`).catch(setError);
        }}
      >
        Cancel command
      </button>
      <Table testid="follow-targets" columns={['Gateway', 'Device', 'State', 'Round trip', 'Output / reason']}>
        {rows.map((t) => (
          <tr key={`${t.gateway}/${t.device}`} data-target={t.device}>
            <td class="id">{t.gateway}</td>
            <td class="id">{t.device}</td>
            <td>
              <StateBadge state={t.state} />
            </td>
            <td>{t.sentAt === undefined ? '—' : duration(t.updatedAt - t.sentAt)}</td>
            <td>
              <code>{text(t.reason ?? t.output)}</code>
            </td>
          </tr>
        ))}
      </Table>
    </section>
  );
}

/** Send, follow, cancel and list commands. */
export function CommandsPage({ id }: { id?: string | undefined }) {
  const list = usePoll((s) => api<{ commands: any[] }>('GET', '/v1/commands?limit=200', undefined, s), 5000, []);
  const [filter, setFilter] = useState('');
  const shown = (list.data?.commands ?? []).filter((c) => filter === '' || c.name.includes(filter) || c.status === filter || c.id.includes(filter));
  return (
    <section aria-labelledby="cmd-h">
      <h1 id="cmd-h">Commands</h1>
      <div class="two">
        <NewCommand
          onSent={(cid) => {
            location.hash = `#/commands/${seg(cid)}`;
            list.refresh();
          }}
        />
        {id === undefined ? <p class="card">Send a command or pick one below to follow it live.</p> : <FollowCommand id={id} />}
      </div>
      <h2>Past commands</h2>
      <label>
        Filter (name, id or status)
        <input type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
      </label>
      <ErrorNote error={list.error} />
      <Table testid="commands-table" columns={['Created', 'Name', 'Target', 'Status', 'Expires']}>
        {shown.map((c) => (
          <tr key={c.id}>
            <td>{time(c.createdAt)}</td>
            <td>
              <a href={`#/commands/${seg(c.id)}`}>{c.name}</a>
            </td>
            <td class="id">{c.target.all ? 'all' : c.target.group !== undefined ? `group ${c.target.group}` : c.target.device}</td>
            <td>
              <StateBadge state={c.status} />
            </td>
            <td>{time(c.expiresAt)}</td>
          </tr>
        ))}
      </Table>
    </section>
  );
}
