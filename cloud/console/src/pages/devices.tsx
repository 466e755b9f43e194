import { useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { Badge, Online } from '../components/badge.js';
import { DeviceImport } from '../components/device-import.js';
import { ErrorNote } from '../components/error-note.js';
import { SecretBox } from '../components/secret-box.js';
import { usePoll } from '../components/use-poll.js';
import { ago, DASH, tags } from '../format.js';
import { parseList, parseTags } from '../parse.js';
import { Table } from '../components/table.js';


function Register({ onSecret }: { onSecret: (label: string, secret: string) => void }) {
  const [id, setId] = useState('');
  const [kind, setKind] = useState('gateway');
  const [groups, setGroups] = useState('');
  const [tagSrc, setTagSrc] = useState('');
  const [gateway, setGateway] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  return (
    <form
      class="card"
      aria-labelledby="reg-h"
      onSubmit={(e) => {
        e.preventDefault();
        setError(undefined);
        try {
          const body: Record<string, unknown> = { id: id.trim(), kind, groups: parseList(groups), tags: parseTags(tagSrc) };
          if (kind === 'device' && gateway.trim() !== '') body.gateway = gateway.trim();
          api<{ secret: string }>('POST', '/v1/devices', body).then((r) => {
            onSecret(`Secret of ${id.trim()}`, r.secret);
            setId('');
          }, setError);
        } catch (err) {
          setError(err);
        }
      }}
    >
      <h2 id="reg-h">Register</h2>
      <div class="row">
        <label>
          Id
          <input required value={id} onInput={(e) => setId(e.currentTarget.value)} />
        </label>
        <label>
          Kind
          <select value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
            <option value="gateway">gateway</option>
            <option value="device">device</option>
          </select>
        </label>
        {kind === 'device' ? (
          <label>
            Behind gateway
            <input value={gateway} onInput={(e) => setGateway(e.currentTarget.value)} />
          </label>
        ) : null}
      </div>
      <div class="row">
        <label>
          Groups (comma-separated)
          <input value={groups} onInput={(e) => setGroups(e.currentTarget.value)} />
        </label>
        <label>
          Tags (key=value, …)
          <input value={tagSrc} onInput={(e) => setTagSrc(e.currentTarget.value)} />
        </label>
      </div>
      <ErrorNote error={error} />
      <button type="submit">Register</button>
    </form>
  );
}

export function DevicesPage() {
  const [kind, setKind] = useState('');
  const [secret, setSecret] = useState<{ label: string; value: string } | undefined>(undefined);
  const [ttl, setTtl] = useState('3600');
  const [error, setError] = useState<unknown>(undefined);
  const list = usePoll((s) => api<{ devices: any[] }>('GET', `/v1/devices${kind ? `?kind=${kind}` : ''}`, undefined, s), 5000, [kind]);
  const act = (path: string, body?: unknown): Promise<any> => {
    setError(undefined);
    return api('POST', path, body).then(
      (r) => {
        list.refresh();
        return r;
      },
      (err) => {
        setError(err);
        return undefined;
      },
    );
  };
  return (
    <section aria-labelledby="dev-h">
      <h1 id="dev-h">Devices</h1>
      {secret === undefined ? null : <SecretBox label={secret.label} value={secret.value} onClose={() => setSecret(undefined)} />}
      <Register
        onSecret={(label, value) => {
          setSecret({ label, value });
          list.refresh();
        }}
      />
      <DeviceImport onImported={list.refresh} />
      <div class="row">
        <label>
          Show
          <select value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
            <option value="">everything</option>
            <option value="gateway">gateways</option>
            <option value="device">devices</option>
            <option value="app">apps</option>
          </select>
        </label>
        <label>
          Token lifetime (s)
          <input type="number" min={60} value={ttl} onInput={(e) => setTtl(e.currentTarget.value)} />
        </label>
      </div>
      <ErrorNote error={error ?? list.error} />
      <Table testid="devices-table" columns={['Id', 'Kind', 'State', 'Last seen', 'Groups', 'Tags', 'Actions']}>
        {(list.data?.devices ?? []).map((d) => (
          <tr key={d.id} data-device={d.id}>
            <th scope="row" class="id">
              {d.kind === 'gateway' ? <a href={`#/gateway/${seg(d.id)}`}>{d.id}</a> : d.id}
            </th>
            <td>
              {d.kind}
              {d.gateway ? ` of ${d.gateway}` : ''}
            </td>
            <td>{d.enabled ? <Online online={d.online} /> : <Badge kind="muted">disabled</Badge>}</td>
            <td>{ago(d.lastSeenAt)}</td>
            <td>{d.groups.join(', ') || DASH}</td>
            <td>{tags(d.tags)}</td>
            <td class="actions">
              <button type="button" aria-label={`${d.enabled ? 'disable' : 'enable'} ${d.id}`} onClick={() => void act(`/v1/devices/${seg(d.id)}/${d.enabled ? 'disable' : 'enable'}`)}>
                {d.enabled ? 'Disable' : 'Enable'}
              </button>
              <button
                type="button"
                aria-label={`rotate the secret of ${d.id}`}
                onClick={() => {
                  if (!confirm(`Rotate the secret of ${d.id}? The old one stops working and it is disconnected now.`)) return;
                  void act(`/v1/devices/${seg(d.id)}/rotate`).then((r) => r && setSecret({ label: `New secret of ${d.id}`, value: r.secret }));
                }}
              >
                Rotate
              </button>
              <button
                type="button"
                aria-label={`issue a token for ${d.id}`}
                onClick={() => void act(`/v1/devices/${seg(d.id)}/token`, { ttlSeconds: Number(ttl) }).then((r) => r && setSecret({ label: `Token of ${d.id} (until ${new Date(r.expiresAt).toLocaleString()})`, value: r.token }))}
              >
                Token
              </button>
            </td>
          </tr>
        ))}
      </Table>
    </section>
  );
}
