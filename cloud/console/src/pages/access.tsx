import { useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { Badge } from '../components/badge.js';
import { ErrorNote } from '../components/error-note.js';
import { SecretBox } from '../components/secret-box.js';
import { usePoll } from '../components/use-poll.js';
import { DASH, num, tags, time } from '../format.js';
import { parseList, parseTags } from '../parse.js';
import { Table } from '../components/table.js';

type ShowSecret = (label: string, value: string) => void;

/** Backend apps (issue 14): a name, the queues it reads and the topics it publishes on; its token shown once. */
function Apps({ onSecret }: { onSecret: ShowSecret }) {
  const list = usePoll((s) => api<{ apps: any[] }>('GET', '/v1/apps', undefined, s), 10_000, []);
  const [name, setName] = useState('');
  const [read, setRead] = useState('');
  const [publish, setPublish] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  return (
    <div>
      <form
        class="card"
        aria-labelledby="app-h"
        onSubmit={(e) => {
          e.preventDefault();
          setError(undefined);
          api<{ token: string }>('POST', '/v1/apps', { name: name.trim(), read: parseList(read), publish: parseList(publish) }).then((r) => {
            onSecret(`Token of app ${name.trim()}`, r.token);
            setName('');
            list.refresh();
          }, setError);
        }}
      >
        <h2 id="app-h">Backend apps</h2>
        <div class="row">
          <label>
            App name
            <input required value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <label>
            Reads queues (comma-separated)
            <input value={read} onInput={(e) => setRead(e.currentTarget.value)} placeholder="telemetry, events" />
          </label>
          <label>
            Publishes on (MQTT filters)
            <input value={publish} onInput={(e) => setPublish(e.currentTarget.value)} placeholder="alerts/billing/#" />
          </label>
        </div>
        <ErrorNote error={error ?? list.error} />
        <button type="submit">Create the app</button>
      </form>
      <Table testid="apps-table" columns={['App', 'Reads', 'Publishes on', 'Created', 'Actions']}>
        {(list.data?.apps ?? []).map((a) => (
          <tr key={a.name} data-app={a.name}>
            <th scope="row" class="id">
              {a.name}
            </th>
            <td>{a.read.join(', ') || DASH}</td>
            <td>{a.publish.join(', ') || DASH}</td>
            <td>{time(a.createdAt)}</td>
            <td class="actions">
              <button
                type="button"
                aria-label={`delete app ${a.name}`}
                onClick={() => {
                  if (!confirm(`Delete app ${a.name}? Its token stops working at once.`)) return;
                  setError(undefined);
                  api('DELETE', `/v1/apps/${seg(a.name)}`).then(() => list.refresh(), setError);
                }}
              >
                Delete
              </button>
            </td>
          </tr>
        ))}
      </Table>
    </div>
  );
}

/** Claim tokens (issue 20): gateways register themselves on first boot with one; revoke stops further use. */
function Claims({ onSecret }: { onSecret: ShowSecret }) {
  const list = usePoll((s) => api<{ claims: any[] }>('GET', '/v1/claims', undefined, s), 10_000, []);
  const [ttlHours, setTtlHours] = useState('168');
  const [maxUses, setMaxUses] = useState('1');
  const [groups, setGroups] = useState('');
  const [tagSrc, setTagSrc] = useState('');
  const [approval, setApproval] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  return (
    <div>
      <form
        class="card"
        aria-labelledby="claim-h"
        onSubmit={(e) => {
          e.preventDefault();
          setError(undefined);
          try {
            const body = { ttlSeconds: Math.round(Number(ttlHours) * 3600), maxUses: Number(maxUses), groups: parseList(groups), tags: parseTags(tagSrc), ...(approval ? { approval: true } : {}) };
            api<{ token: string }>('POST', '/v1/claims', body).then((r) => {
              onSecret('Claim token (identity.claimToken of the gateways it onboards)', r.token);
              list.refresh();
            }, setError);
          } catch (err) {
            setError(err);
          }
        }}
      >
        <h2 id="claim-h">Claim tokens</h2>
        <div class="row">
          <label>
            Valid for (hours)
            <input type="number" min={1} value={ttlHours} onInput={(e) => setTtlHours(e.currentTarget.value)} />
          </label>
          <label>
            Gateways it may onboard
            <input type="number" min={1} value={maxUses} onInput={(e) => setMaxUses(e.currentTarget.value)} />
          </label>
          <label>
            Their groups (comma-separated)
            <input value={groups} onInput={(e) => setGroups(e.currentTarget.value)} />
          </label>
          <label>
            Their tags (key=value, …)
            <input value={tagSrc} onInput={(e) => setTagSrc(e.currentTarget.value)} />
          </label>
        </div>
        <label class="inline">
          <input type="checkbox" checked={approval} onChange={(e) => setApproval(e.currentTarget.checked)} />
          Each gateway waits for an operator's approval
        </label>
        <ErrorNote error={error ?? list.error} />
        <button type="submit">Create a claim token</button>
      </form>
      <Table testid="claims-table" columns={['Claim', 'State', 'Used', 'Approval', 'Expires', 'Groups', 'Tags', 'Recent gateways', 'Actions']}>
        {(list.data?.claims ?? []).map((c) => {
          const expired = c.expiresAt < Date.now();
          return (
            <tr key={c.id} data-claim={c.id}>
              <th scope="row" class="id">
                {c.id}
              </th>
              <td>{c.revoked ? <Badge kind="bad">revoked</Badge> : expired ? <Badge kind="muted">expired</Badge> : c.uses >= c.maxUses ? <Badge kind="muted">used up</Badge> : <Badge kind="ok">open</Badge>}</td>
              <td>
                {num(c.uses)} of {num(c.maxUses)}
              </td>
              <td>{c.approval === true ? <Badge kind="warn">required</Badge> : 'no'}</td>
              <td>{time(c.expiresAt)}</td>
              <td>{c.groups.join(', ') || DASH}</td>
              <td>{tags(c.tags)}</td>
              <td class="id">{(c.recent ?? []).slice(-5).join(', ') || DASH}</td>
              <td class="actions">
                {c.revoked ? null : (
                  <button
                    type="button"
                    aria-label={`revoke claim ${c.id}`}
                    onClick={() => {
                      setError(undefined);
                      api('POST', `/v1/claims/${seg(c.id)}/revoke`).then(() => list.refresh(), setError);
                    }}
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          );
        })}
      </Table>
    </div>
  );
}

/** Registrations waiting for an operator (claims made with approval), as `causeway claims pending|approve|reject`. */
function Pending() {
  const list = usePoll((s) => api<{ registrations: any[] }>('GET', '/v1/registrations?state=pending', undefined, s), 5000, []);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const decide = (gw: string, what: 'approve' | 'reject'): void => {
    setError(undefined);
    api('POST', `/v1/registrations/${seg(gw)}/${what}`, what === 'reject' && reason.trim() !== '' ? { reason: reason.trim() } : undefined).then(() => list.refresh(), setError);
  };
  const rows = list.data?.registrations ?? [];
  return (
    <div>
      <h2>Waiting for approval</h2>
      <ErrorNote error={error ?? list.error} />
      {list.data !== undefined && rows.length === 0 ? <p>No gateway is waiting.</p> : null}
      <label>
        Reason given to a rejected gateway
        <input value={reason} onInput={(e) => setReason(e.currentTarget.value)} maxLength={200} />
      </label>
      <Table testid="pending-table" columns={['Gateway', 'Claim', 'Certificate', 'Asked', 'From', 'Groups', 'Actions']}>
        {rows.map((r) => (
          <tr key={r.gateway} data-registration={r.gateway}>
            <th scope="row" class="id">
              {r.gateway}
            </th>
            <td class="id">{r.claimId}</td>
            {/* it asked with a CSR: approving it signs a certificate, and it gets no secret */}
            <td>{r.certificate === true ? 'yes' : 'no'}</td>
            <td>{time(r.requestedAt)}</td>
            <td>{r.source ?? DASH}</td>
            <td>{(r.groups ?? []).join(', ') || DASH}</td>
            <td class="actions">
              <button type="button" aria-label={`approve ${r.gateway}`} onClick={() => decide(r.gateway, 'approve')}>
                Approve
              </button>
              <button type="button" aria-label={`reject ${r.gateway}`} onClick={() => decide(r.gateway, 'reject')}>
                Reject
              </button>
            </td>
          </tr>
        ))}
      </Table>
    </div>
  );
}

/** Who may reach the cloud besides gateways and devices (those are on the Devices page). */
export function AccessPage() {
  const [secret, setSecret] = useState<{ label: string; value: string } | undefined>(undefined);
  const show: ShowSecret = (label, value) => setSecret({ label, value });
  return (
    <section aria-labelledby="acc-h">
      <h1 id="acc-h">Access</h1>
      {secret === undefined ? null : <SecretBox label={secret.label} value={secret.value} onClose={() => setSecret(undefined)} />}
      <Apps onSecret={show} />
      <Claims onSecret={show} />
      <Pending />
    </section>
  );
}
