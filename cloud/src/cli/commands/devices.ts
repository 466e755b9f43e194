import { CausewayError } from '@causeway/shared';
import type { CliCommand, CliContext } from '../cli-context.js';
import { OUTPUT_FLAGS, outputFormat, parseCommand, str, strs, unknownAction, type CommandSpec } from '../command-spec.js';
import { suggestingIds } from '../id-suggestion.js';
import { table } from '../table.js';
import { ago, when } from '../time-format.js';
import { importDevices } from './devices-import.js';

const DEVICES: CommandSpec = {
  name: 'devices',
  summary: 'register and manage gateways, devices and apps',
  usage: [
    'causeway devices list [--kind gateway|device|app] [--group G] [--tag k=v] [-o table|json|wide]',
    'causeway devices add ID [--kind gateway|device|app] [--group G]… [--tag k=v]… [--gateway GW] [--queues a,b] [--can-send]',
    'causeway devices show ID [--json]',
    'causeway devices disable|enable|rotate|delete ID',
    'causeway devices token ID [--ttl SECONDS]',
    'causeway devices revoke-cert ID   (no TLS client certificate authenticates it any more; its session is closed)',
    'causeway devices import FILE.csv [--secrets OUT] [--dry-run]   (columns id,kind,groups,tags,gateway; secrets to OUT, mode 0600)',
  ],
  flags: {
    kind: { type: 'string', value: 'gateway|device|app', help: 'list: only this kind; add: the kind (default gateway)' },
    group: { type: 'string', multiple: true, value: 'G', help: 'list: members of G; add: put it in G' },
    tag: { type: 'string', multiple: true, value: 'k=v', help: 'list: with this tag; add: set this tag' },
    gateway: { type: 'string', value: 'GW', help: 'add a device: the gateway it is reached through' },
    queues: { type: 'string', value: 'a,b', help: 'add an app: the queues it may read' },
    'can-send': { type: 'boolean', help: 'add an app: it may send to devices' },
    ttl: { type: 'string', value: 'SECONDS', help: 'token: lifetime of the access token (default 3600)' },
    secrets: { type: 'string', value: 'OUT', help: 'import: where the new secrets go (default FILE.secrets.csv; created mode 0600, never overwritten)' },
    'dry-run': { type: 'boolean', help: 'import: check every row and say what would change, write nothing' },
    ...OUTPUT_FLAGS,
  },
  examples: ['causeway devices add gw-7 --group north --tag site=depot', 'causeway devices import fleet.csv --secrets /secure/fleet-secrets.csv'],
  actions: ['list', 'add', 'show', 'disable', 'enable', 'rotate', 'delete', 'token', 'import', 'revoke-cert'],
};

const GROUPS: CommandSpec = {
  name: 'groups',
  summary: 'list the groups and their members',
  usage: ['causeway groups [-o table|json|wide]'],
  flags: { ...OUTPUT_FLAGS },
  examples: ['causeway groups', 'causeway groups -o json'],
};

function tags(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of list ?? []) {
    const eq = t.indexOf('=');
    if (eq <= 0) throw new CausewayError('USAGE', `--tag wants key=value, got "${t}"`);
    out[t.slice(0, eq)] = t.slice(eq + 1);
  }
  return out;
}

/**
 * ONLINE of a device behind a gateway is its gateway's: the device never connects itself, so its own
 * flag stays false while it is reachable (issue 24).
 */
export function reachability(d: any, byId: Map<string, any>): string {
  if (d.gateway !== undefined && d.kind === 'device') {
    const gw = byId.get(d.gateway);
    return gw?.online ? `via ${d.gateway}` : `no (${d.gateway} offline)`;
  }
  return d.online ? 'yes' : 'no';
}

const print = (ctx: CliContext, v: unknown): void => ctx.out(JSON.stringify(v, null, 2) + '\n');

async function list(ctx: CliContext, values: Record<string, unknown>): Promise<number> {
  const fmt = outputFormat(values);
  const q = new URLSearchParams();
  const kind = str(values.kind);
  if (kind) q.set('kind', kind);
  const group = strs(values.group)?.[0];
  if (group) q.set('group', group);
  const tag = strs(values.tag)?.[0];
  if (tag) q.set('tag', tag);
  const r = await ctx.api.call('GET', `/v1/devices?${q}`);
  if (fmt === 'json') return print(ctx, r.devices), 0;
  // Gateways of listed devices may be outside the filter: look them up in the full list.
  const all = q.size === 0 ? r.devices : (await ctx.api.call('GET', '/v1/devices')).devices;
  const byId = new Map<string, any>(all.map((d: any) => [d.id, d]));
  const lastSeen = (d: any): string => {
    const at = d.lastSeenAt ?? (d.kind === 'device' && d.gateway ? byId.get(d.gateway)?.lastSeenAt : undefined);
    return at === undefined ? '-' : ago(at);
  };
  if (fmt === 'wide') {
    ctx.out(table(['ID', 'KIND', 'GATEWAY', 'GROUPS', 'TAGS', 'ENABLED', 'ONLINE', 'LAST SEEN', 'CREATED'], r.devices.map((d: any) => [d.id, d.kind, d.gateway ?? '-', d.groups.join(',') || '-', Object.entries(d.tags ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '-', d.enabled, reachability(d, byId), lastSeen(d), when(d.createdAt)])));
  } else {
    ctx.out(table(['ID', 'KIND', 'GROUPS', 'ENABLED', 'ONLINE', 'LAST SEEN'], r.devices.map((d: any) => [d.id, d.kind, d.groups.join(',') || '-', d.enabled, reachability(d, byId), lastSeen(d)])));
  }
  return 0;
}

/** `devices show`: a readable summary; the raw JSON with --json / -o json. */
export function deviceSummary(d: any, gateway: any | undefined): string {
  const rows: Array<[string, string]> = [
    ['ID', d.id],
    ['Kind', d.kind],
    ...(d.gateway ? ([['Gateway', `${d.gateway} (${gateway?.online ? 'online' : 'offline'})`]] as Array<[string, string]>) : []),
    ['Groups', d.groups.join(', ') || '-'],
    ['Tags', Object.entries(d.tags ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') || '-'],
    ['Enabled', d.enabled ? 'yes' : 'no'],
    ['Online', d.kind === 'device' && d.gateway ? (gateway?.online ? `reachable via ${d.gateway}` : 'no') : d.online ? 'yes' : 'no'],
    ['Last seen', d.lastSeenAt === undefined ? 'never' : `${when(d.lastSeenAt)} (${ago(d.lastSeenAt)})`],
    ['Created', when(d.createdAt)],
    ['Secret', d.hasSecret ? 'set' : d.certSha256 !== undefined ? 'none (certificate only)' : 'none (token only)'],
    ...(d.certSha256 !== undefined || d.certRevokedAt !== undefined
      ? ([
          ['Certificate', `${d.certSha256 === undefined ? 'any of the CA (not pinned)' : `pinned sha256 ${d.certSha256}`}${d.certNotAfter === undefined ? '' : `, ends ${when(d.certNotAfter)}`}${d.certRevokedAt === undefined ? '' : `, REVOKED ${when(d.certRevokedAt)}`}`],
          ...(d.certSha256Next !== undefined && d.certSha256Next !== d.certSha256 ? [['Renewed', `sha256 ${d.certSha256Next}, not used yet (the pinned one stays valid until it is)`]] : []),
        ] as Array<[string, string]>)
      : []),
    ...(d.kind === 'app' ? ([['Queues', (d.queues ?? []).join(', ') || '-'], ['Can send', d.canSend ? 'yes' : 'no']] as Array<[string, string]>) : []),
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${(k + ':').padEnd(w + 1)} ${v}`).join('\n') + '\n';
}

async function devicesRun(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(DEVICES, argv);
  const [action = 'list', id] = positionals;
  if (!DEVICES.actions!.includes(action)) throw unknownAction(DEVICES, action);
  const needId = (): string => {
    if (id === undefined) throw new CausewayError('USAGE', `causeway devices ${action} needs an ID (see causeway devices --help)`);
    return id;
  };
  const path = (suffix = ''): string => `/v1/devices/${encodeURIComponent(needId())}${suffix}`;
  const api = ctx.api;
  switch (action) {
    case 'list':
      return list(ctx, values);
    case 'import': {
      const secrets = str(values.secrets);
      return importDevices(ctx, needId(), { dryRun: values['dry-run'] === true, ...(secrets === undefined ? {} : { secrets }) });
    }
    case 'add': {
      const body: Record<string, unknown> = { id: needId(), kind: str(values.kind) ?? 'gateway', groups: strs(values.group) ?? [], tags: tags(strs(values.tag)) };
      const gateway = str(values.gateway);
      if (gateway) body.gateway = gateway;
      const queues = str(values.queues);
      if (queues) body.queues = queues.split(',');
      if (values['can-send']) body.canSend = true;
      const r = await api.call('POST', '/v1/devices', body);
      if (outputFormat(values) === 'json') print(ctx, r);
      else ctx.out(`created ${r.device.kind} ${r.device.id}\nsecret (shown once, store it now): ${r.secret}\n`);
      return 0;
    }
    case 'show': {
      const d = await suggestingIds(api, needId(), () => api.call('GET', path()));
      if (outputFormat(values) === 'json') return print(ctx, d), 0;
      const gw = d.gateway ? await api.call('GET', `/v1/devices/${encodeURIComponent(d.gateway)}`).catch(() => undefined) : undefined;
      ctx.out(deviceSummary(d, gw));
      return 0;
    }
    case 'disable':
    case 'enable':
    case 'delete': {
      await suggestingIds(api, needId(), () => (action === 'delete' ? api.call('DELETE', path()) : api.call('POST', path(`/${action}`))));
      ctx.out(`${action}d ${id}\n`);
      return 0;
    }
    case 'rotate': {
      const r = await suggestingIds(api, needId(), () => api.call('POST', path('/rotate')));
      ctx.out(`new secret for ${id} (shown once): ${r.secret}\n`);
      return 0;
    }
    case 'revoke-cert': {
      const d = await suggestingIds(api, needId(), () => api.call('POST', path('/revoke-cert')));
      if (outputFormat(values) === 'json') return print(ctx, d), 0;
      ctx.out(`revoked the certificate of ${id} (${d.certSha256 === undefined ? 'not pinned: every certificate for it' : `sha256 ${d.certSha256}`}) at ${when(d.certRevokedAt)}; its session was closed${d.hasSecret ? '; its secret still authenticates it (rotate or disable to shut it out)' : ''}\n`);
      return 0;
    }
    default: {
      const ttl = Number(str(values.ttl) ?? 3600);
      if (!Number.isInteger(ttl) || ttl <= 0) throw new CausewayError('USAGE', `--ttl must be a whole number of seconds, got "${str(values.ttl)}"`);
      const r = await suggestingIds(api, needId(), () => api.call('POST', path('/token'), { ttlSeconds: ttl }));
      if (outputFormat(values) === 'json') print(ctx, r);
      else ctx.out(`${r.token}\n`);
      return 0;
    }
  }
}

async function groupsRun(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(GROUPS, argv);
  if (positionals.length > 0) throw new CausewayError('USAGE', `causeway groups takes no arguments, got "${positionals[0]}"`);
  const fmt = outputFormat(values);
  const r = await ctx.api.call('GET', '/v1/groups');
  if (fmt === 'json') return print(ctx, r.groups), 0;
  if (fmt === 'wide') ctx.out(table(['GROUP', 'SIZE', 'MEMBERS'], r.groups.map((g: any) => [g.name, g.members.length, g.members.join(',')])));
  else ctx.out(table(['GROUP', 'MEMBERS'], r.groups.map((g: any) => [g.name, g.members.join(',')])));
  return 0;
}

export const devicesCommand: CliCommand = { spec: DEVICES, run: devicesRun };
export const groupsCommand: CliCommand = { spec: GROUPS, run: groupsRun };
