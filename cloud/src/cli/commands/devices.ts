import { parseArgs } from 'node:util';
import { CausewayError } from '../../../../shared/src/errors/causeway-error.js';
import type { ApiClient } from '../api-client.js';
import { table } from '../table.js';

export const DEVICES_HELP = `causeway devices list [--kind gateway|device|app] [--group G] [--tag k=v] [--json]
causeway devices add ID [--kind gateway|device|app] [--group G]… [--tag k=v]… [--gateway GW] [--queues a,b] [--can-send]
causeway devices show|disable|enable|rotate|delete ID
causeway devices token ID [--ttl SECONDS]
causeway groups`;

function tags(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of list ?? []) {
    const eq = t.indexOf('=');
    if (eq <= 0) throw new CausewayError('USAGE', `--tag wants key=value, got "${t}"`);
    out[t.slice(0, eq)] = t.slice(eq + 1);
  }
  return out;
}

export async function devicesCommand(api: ApiClient, argv: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      kind: { type: 'string' },
      group: { type: 'string', multiple: true },
      tag: { type: 'string', multiple: true },
      gateway: { type: 'string' },
      queues: { type: 'string' },
      'can-send': { type: 'boolean' },
      ttl: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const [action = 'list', id] = positionals;
  const needId = (): string => {
    if (id === undefined) throw new CausewayError('USAGE', `causeway devices ${action} needs an ID`);
    return id;
  };
  const print = (v: unknown): void => out(JSON.stringify(v, null, 2) + '\n');
  switch (action) {
    case 'list': {
      const q = new URLSearchParams();
      if (values.kind) q.set('kind', values.kind);
      if (values.group?.[0]) q.set('group', values.group[0]);
      if (values.tag?.[0]) q.set('tag', values.tag[0]);
      const r = await api.call('GET', `/v1/devices?${q}`);
      if (values.json) print(r.devices);
      else out(table(['ID', 'KIND', 'GROUPS', 'ENABLED', 'ONLINE', 'LAST SEEN'], r.devices.map((d: any) => [d.id, d.kind, d.groups.join(','), d.enabled, d.online, d.lastSeenAt ? new Date(d.lastSeenAt).toISOString() : '-'])));
      return 0;
    }
    case 'add': {
      const body: Record<string, unknown> = { id: needId(), kind: values.kind ?? 'gateway', groups: values.group ?? [], tags: tags(values.tag) };
      if (values.gateway) body.gateway = values.gateway;
      if (values.queues) body.queues = values.queues.split(',');
      if (values['can-send']) body.canSend = true;
      const r = await api.call('POST', '/v1/devices', body);
      if (values.json) print(r);
      else out(`created ${r.device.kind} ${r.device.id}\nsecret (shown once, store it now): ${r.secret}\n`);
      return 0;
    }
    case 'show':
      print(await api.call('GET', `/v1/devices/${encodeURIComponent(needId())}`));
      return 0;
    case 'disable':
    case 'enable':
    case 'delete': {
      const method = action === 'delete' ? 'DELETE' : 'POST';
      const path = action === 'delete' ? `/v1/devices/${encodeURIComponent(needId())}` : `/v1/devices/${encodeURIComponent(needId())}/${action}`;
      await api.call(method, path);
      out(`${action}d ${id}\n`);
      return 0;
    }
    case 'rotate': {
      const r = await api.call('POST', `/v1/devices/${encodeURIComponent(needId())}/rotate`);
      out(`new secret for ${id} (shown once): ${r.secret}\n`);
      return 0;
    }
    case 'token': {
      const r = await api.call('POST', `/v1/devices/${encodeURIComponent(needId())}/token`, { ttlSeconds: Number(values.ttl ?? 3600) });
      if (values.json) print(r);
      else out(`${r.token}\n`);
      return 0;
    }
    default:
      throw new CausewayError('USAGE', `unknown devices action "${action}"\n${DEVICES_HELP}`);
  }
}

export async function groupsCommand(api: ApiClient, out: (s: string) => void): Promise<number> {
  const r = await api.call('GET', '/v1/groups');
  out(table(['GROUP', 'MEMBERS'], r.groups.map((g: any) => [g.name, g.members.join(',')])));
  return 0;
}
