import { api, seg } from '../api.js';
import { Badge, StateBadge } from './badge.js';
import { diffDocs } from '../../../src/cli/config-diff.js';
import { DASH, text } from '../format.js';

/** A gateway's config: its drift row, the desired document, and the document of the version it reported. */
export interface ConfigState {
  row: any;
  desired: any;
  reported: any;
  /** the config version its latest status/heartbeat says it runs (the fleet status store), when known */
  running?: number;
}

/**
 * Loads what the diff needs. The agent reports the version it applied (config-reported/{gw}) and, in its
 * status heartbeat, the version it runs — not the document: documents are immutable per version, so the
 * document of the reported version, kept by the cloud, is what it runs.
 */
export async function loadConfigState(id: string, s: AbortSignal, o: { running?: boolean } = {}): Promise<ConfigState> {
  const st = await api<{ gateways: any[] }>('GET', '/v1/config/status', undefined, s);
  const row = st.gateways.find((g) => g.gateway === id);
  const desired = await api('GET', `/v1/config/gateways/${seg(id)}`, undefined, s).catch(() => undefined);
  const rv: number | undefined = row?.reportedVersion;
  const reported = rv === undefined || rv === desired?.version ? desired : await api('GET', `/v1/config/gateways/${seg(id)}?version=${rv}`, undefined, s).catch(() => undefined);
  // (the Gateway page polls its status itself and passes `running: false`)
  const view = o.running === false ? undefined : await api<{ status?: { health?: { configVersion?: number } } }>('GET', `/v1/gateways/${seg(id)}`, undefined, s).catch(() => undefined);
  const running = view?.status?.health?.configVersion;
  return { row, desired, reported, ...(running === undefined ? {} : { running }) };
}

/** Reported (the document of the version the gateway applied) → desired, key by key. */
export function ConfigDiff({ state }: { state: ConfigState | undefined }) {
  const { row, desired, reported, running } = state ?? { row: undefined, desired: undefined, reported: undefined };
  const diff = desired === undefined ? [] : diffDocs(reported?.config ?? {}, desired.config);
  if (row === undefined && desired === undefined) return <p>No desired config applies to this gateway.</p>;
  return (
    <div data-testid="gw-config">
      <p>
        desired v{row?.desiredVersion ?? desired?.version ?? '?'}, reported v{row?.reportedVersion ?? '?'} <StateBadge state={row?.status} />{' '}
        {row?.inSync ? <Badge kind="ok">in sync</Badge> : <Badge kind="warn">drift</Badge>}
        {running === undefined ? null : <span data-testid="cfg-running">{`; its last heartbeat says it runs v${running}`}</span>}
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
