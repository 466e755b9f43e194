import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { CausewayError } from '../../../../shared/src/errors/causeway-error.js';
import type { ApiClient } from '../api-client.js';
import { progressLine } from '../progress-bar.js';
import { table } from '../table.js';

export const SEND_HELP = `causeway send NAME (--device ID | --group G | --all) [--args JSON] [--ttl SECONDS] [--rate PER_MINUTE] [--abort-at PERCENT] [--wait]
causeway commands [ID] [--state STATE]
causeway commands cancel ID
causeway config set (--gateway GW | --group G | --all) (--file F | --json '{…}')
causeway config status`;

const TERMINAL = ['SUCCEEDED', 'FAILED', 'REJECTED', 'TIMED_OUT', 'EXPIRED', 'CANCELED'];

function summary(counts: Record<string, number>): string {
  return Object.entries(counts).filter(([, n]) => n > 0).map(([s, n]) => `${s}=${n}`).join(' ');
}

/** `causeway send`: creates a command and, with --wait, follows it to the end with a progress bar. */
export async function sendCommand(api: ApiClient, argv: string[], out: (s: string) => void, isTty: boolean, signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      device: { type: 'string' },
      group: { type: 'string' },
      all: { type: 'boolean' },
      args: { type: 'string' },
      ttl: { type: 'string' },
      rate: { type: 'string' },
      'abort-at': { type: 'string' },
      wait: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  const name = positionals[0];
  if (name === undefined) throw new CausewayError('USAGE', `send needs a command NAME\n${SEND_HELP}`);
  let args: unknown = {};
  if (values.args !== undefined) {
    try {
      args = JSON.parse(values.args);
    } catch {
      throw new CausewayError('USAGE', `--args must be JSON, got ${values.args}`);
    }
  }
  const body: Record<string, unknown> = { name, args };
  if (values.device) body.device = values.device;
  if (values.group) body.group = values.group;
  if (values.all) body.all = true;
  if (values.ttl) body.ttlSeconds = Number(values.ttl);
  if (values.rate) body.rolloutPerMinute = Number(values.rate);
  if (values['abort-at']) body.abortThresholdPercent = Number(values['abort-at']);
  const created = await api.call('POST', '/v1/commands', body);
  const id: string = created.command.id;
  const total = Object.values(created.counts as Record<string, number>).reduce((a, b) => a + b, 0);
  if (!values.wait) {
    out(values.json ? JSON.stringify(created) + '\n' : `command ${id} sent to ${total} target(s): ${summary(created.counts)}\n`);
    return 0;
  }
  out(`command ${id}: ${total} target(s)\n`);
  let counts: Record<string, number> = created.counts;
  for await (const ev of api.events(`/v1/commands/${id}/stream`, signal)) {
    if (ev.status !== undefined && ev.commandId === id && ev.state === undefined) break; // done
    if (ev.QUEUED !== undefined) {
      counts = ev;
      const done = TERMINAL.reduce((a, s) => a + (counts[s] ?? 0), 0);
      const line = progressLine(done, total, summary(counts));
      out(isTty ? `\r${line}` : `${line}\n`);
    }
  }
  if (isTty) out('\n');
  const final = await api.call('GET', `/v1/commands/${id}`);
  out(`${final.command.status}: ${summary(final.counts)}\n`);
  const failed = (final.counts.FAILED ?? 0) + (final.counts.REJECTED ?? 0) + (final.counts.TIMED_OUT ?? 0) + (final.counts.EXPIRED ?? 0);
  return failed > 0 ? 1 : 0;
}

export async function commandsCommand(api: ApiClient, argv: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { state: { type: 'string' }, json: { type: 'boolean' } } });
  if (positionals[0] === 'cancel') {
    const id = positionals[1];
    if (id === undefined) throw new CausewayError('USAGE', 'commands cancel needs an ID');
    const r = await api.call('POST', `/v1/commands/${encodeURIComponent(id)}/cancel`);
    out(`canceled ${r.canceled} target(s)\n`);
    return 0;
  }
  const id = positionals[0];
  if (id === undefined) {
    const r = await api.call('GET', '/v1/commands');
    out(table(['ID', 'NAME', 'TARGET', 'STATUS', 'CREATED'], r.commands.map((c: any) => [c.id, c.name, JSON.stringify(c.target), c.status, new Date(c.createdAt).toISOString()])));
    return 0;
  }
  const c = await api.call('GET', `/v1/commands/${encodeURIComponent(id)}`);
  const q = values.state ? `?state=${encodeURIComponent(values.state)}` : '';
  const t = await api.call('GET', `/v1/commands/${encodeURIComponent(id)}/targets${q}`);
  if (values.json) {
    out(JSON.stringify({ ...c, targets: t.targets }, null, 2) + '\n');
    return 0;
  }
  out(`${c.command.id} ${c.command.name} ${c.command.status}: ${summary(c.counts)}\n`);
  out(table(['GATEWAY', 'DEVICE', 'STATE', 'REASON'], t.targets.map((x: any) => [x.gateway, x.device, x.state, x.reason])));
  return 0;
}

export async function configCommand(api: ApiClient, argv: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { gateway: { type: 'string' }, group: { type: 'string' }, all: { type: 'boolean' }, file: { type: 'string' }, json: { type: 'string' } },
  });
  const action = positionals[0] ?? 'status';
  if (action === 'status') {
    const r = await api.call('GET', '/v1/config/status');
    out(table(['GATEWAY', 'DESIRED', 'REPORTED', 'STATUS', 'IN SYNC', 'ERROR'], r.gateways.map((g: any) => [g.gateway, g.desiredVersion, g.reportedVersion, g.status, g.inSync, g.error ? `${g.error.key ?? ''} ${g.error.message}`.trim() : ''])));
    return 0;
  }
  if (action !== 'set') throw new CausewayError('USAGE', `unknown config action "${action}"\n${SEND_HELP}`);
  const text = values.file !== undefined ? readFileSync(values.file, 'utf8') : values.json;
  if (text === undefined) throw new CausewayError('USAGE', 'config set needs --file F or --json');
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    throw new CausewayError('USAGE', 'the config is not valid JSON');
  }
  const path = values.gateway ? `/v1/config/gateways/${encodeURIComponent(values.gateway)}` : values.group ? `/v1/config/groups/${encodeURIComponent(values.group)}` : values.all ? '/v1/config/all' : undefined;
  if (path === undefined) throw new CausewayError('USAGE', 'config set needs --gateway, --group or --all');
  const r = await api.call('PUT', path, { config });
  out(`config version ${r.version} pushed to ${r.gateways.length} gateway(s)\n`);
  return 0;
}
