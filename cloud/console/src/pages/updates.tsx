import { useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { Badge } from '../components/badge.js';
import { deliveryBody, DeliveryFields, useDelivery } from '../components/delivery-fields.js';
import { ErrorNote } from '../components/error-note.js';
import { usePoll } from '../components/use-poll.js';
import { bytes, time } from '../format.js';
import { Table } from '../components/table.js';

interface Artifact {
  name: string;
  version: string;
  target?: string;
  kind: string;
  sha256: string;
  size: number;
  path?: string;
  keyId: string;
  createdAt: number;
}

const key = (a: Artifact): string => `${a.name}\u0000${a.version}\u0000${a.target ?? ''}`;
const query = (a: Artifact): string => (a.target ? `?target=${encodeURIComponent(a.target)}` : '');

/** Delivers one published artifact: a rollout is an `install` command, followed on the Commands page. */
function Rollout({ artifact, onStarted }: { artifact: Artifact; onStarted: (id: string) => void }) {
  const [delivery, setDelivery] = useDelivery();
  const [error, setError] = useState<unknown>(undefined);
  return (
    <form
      class="card"
      aria-labelledby="rollout-h"
      onSubmit={(e) => {
        e.preventDefault();
        setError(undefined);
        const body = { name: artifact.name, version: artifact.version, ...(artifact.target ? { target: artifact.target } : {}), ...deliveryBody(delivery, 'gateway') };
        api<{ command: { id: string } }>('POST', '/v1/rollouts', body).then((r) => onStarted(r.command.id), setError);
      }}
    >
      <h2 id="rollout-h">
        Roll out {artifact.kind} {artifact.name} {artifact.version}
        {artifact.target ? ` (${artifact.target})` : ''}
      </h2>
      <DeliveryFields value={delivery} onChange={setDelivery} legend="To" name="rollout-kind" oneLabel="one gateway" oneField="Gateway id" />
      <ErrorNote error={error} />
      <button type="submit">Start the rollout</button>
    </form>
  );
}

/**
 * Signed files and agent releases (issue 17): what is published, a rollout of one to a gateway, a group or
 * all, and deletion. Publishing signs with the release key, which stays on the operator's machine: that is
 * `causeway file publish` / `causeway release publish`, never the browser.
 */
export function UpdatesPage() {
  const list = usePoll((s) => api<{ artifacts: Artifact[]; storedBytes: number }>('GET', '/v1/artifacts', undefined, s), 10_000, []);
  const [chosen, setChosen] = useState<Artifact | undefined>(undefined);
  const [started, setStarted] = useState<string | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const artifacts = list.data?.artifacts ?? [];
  return (
    <section aria-labelledby="upd-h">
      <h1 id="upd-h">Updates</h1>
      <p>
        Signed files (maps, DBC files, firmware) and agent releases, stored once however many gateways install them. Publish with{' '}
        <code>causeway file publish</code> or <code>causeway release publish</code>: the signing key never leaves your machine.
      </p>
      {started === undefined ? null : (
        <p role="status">
          Rollout started: <a href={`#/commands/${seg(started)}`}>follow command {started}</a>
        </p>
      )}
      {chosen === undefined ? null : (
        <Rollout
          artifact={chosen}
          onStarted={(id) => {
            setStarted(id);
            setChosen(undefined);
          }}
        />
      )}
      <ErrorNote error={error ?? list.error} />
      <p>{list.data === undefined ? '' : `${artifacts.length} published, ${bytes(list.data.storedBytes)} stored`}</p>
      <Table testid="artifacts-table" columns={['Name', 'Version', 'Kind', 'Target', 'Size', 'SHA-256', 'Installs at', 'Published', 'Actions']}>
        {artifacts.map((a) => (
          <tr key={key(a)} data-artifact={`${a.name}@${a.version}`}>
            <th scope="row" class="id">
              {a.name}
            </th>
            <td>{a.version}</td>
            <td>
              <Badge kind={a.kind === 'release' ? 'warn' : 'muted'}>{a.kind}</Badge>
            </td>
            <td>{a.target || '—'}</td>
            <td>{bytes(a.size)}</td>
            <td>
              <code title={a.sha256}>{a.sha256.slice(0, 12)}…</code>
            </td>
            <td class="id">{a.path ?? '—'}</td>
            <td>{time(a.createdAt)}</td>
            <td class="actions">
              <button type="button" aria-label={`roll out ${a.name} ${a.version}`} onClick={() => setChosen(a)}>
                Roll out
              </button>
              <button
                type="button"
                aria-label={`delete ${a.name} ${a.version}`}
                onClick={() => {
                  if (!confirm(`Delete ${a.name} ${a.version}? Gateways that installed it keep it.`)) return;
                  setError(undefined);
                  api('DELETE', `/v1/artifacts/${seg(a.name)}/${seg(a.version)}${query(a)}`).then(() => list.refresh(), setError);
                }}
              >
                Delete
              </button>
            </td>
          </tr>
        ))}
      </Table>
    </section>
  );
}
