import { CausewayError } from '@causeway/shared';
import type { CliCommand, CliContext } from '../cli-context.js';
import { OUTPUT_FLAGS, outputFormat, parseCommand, str, unknownAction, type CommandSpec } from '../command-spec.js';
import { suggestingGroups, suggestingIds } from '../id-suggestion.js';
import { progressLine } from '../progress-bar.js';
import { table } from '../table.js';
import { duration, when } from '../time-format.js';

const SEND: CommandSpec = {
  name: 'send',
  summary: 'send a command to a device, a group or every gateway',
  usage: ['causeway send NAME (--device ID | --group G | --all) [--args JSON] [--ttl SECONDS] [--rate PER_MINUTE] [--abort-at PERCENT] [--wait] [--json]'],
  flags: {
    device: { type: 'string', value: 'ID', help: 'one gateway or device' },
    group: { type: 'string', value: 'G', help: 'every gateway of group G' },
    all: { type: 'boolean', help: 'every gateway' },
    args: { type: 'string', value: 'JSON', help: 'arguments, a JSON object (default {})' },
    ttl: { type: 'string', value: 'SECONDS', help: 'a target not reached within this long expires (default 3600)' },
    rate: { type: 'string', value: 'PER_MINUTE', help: 'roll out to at most this many targets a minute' },
    'abort-at': { type: 'string', value: 'PERCENT', help: 'stop the rollout once this share of targets failed' },
    wait: { type: 'boolean', help: 'follow it to the end: each target\'s answer and round-trip time; exit 1 if any failed' },
    json: { type: 'boolean', help: 'print the API\'s answer as JSON' },
  },
  examples: ['causeway send reboot --device gw-7 --wait', 'causeway send set-relay --group north --args \'{"on":true}\' --rate 60 --wait'],
};

const COMMANDS: CommandSpec = {
  name: 'commands',
  summary: 'list commands, show one with its targets, or cancel one',
  usage: ['causeway commands [-o table|json|wide]', 'causeway commands ID [--state STATE] [-o table|json|wide]', 'causeway commands cancel ID'],
  flags: { state: { type: 'string', value: 'STATE', help: 'show only targets in this state (QUEUED, SENT, DELIVERED, SUCCEEDED, FAILED, …)' }, ...OUTPUT_FLAGS },
  examples: ['causeway commands', 'causeway commands 01J9Z3 --state FAILED'],
};

const TERMINAL = ['SUCCEEDED', 'FAILED', 'REJECTED', 'TIMED_OUT', 'EXPIRED', 'CANCELED', 'ROLLED_BACK'];

function summary(counts: Record<string, number>): string {
  return Object.entries(counts).filter(([, n]) => n > 0).map(([s, n]) => `${s}=${n}`).join(' ');
}

/** What a target answered: its output (JSON) or its failure reason. */
function answer(t: { output?: unknown; reason?: string }): string {
  if (t.reason !== undefined) return t.reason;
  if (t.output === undefined || t.output === null) return '-';
  return typeof t.output === 'string' ? t.output : JSON.stringify(t.output);
}

/** From the command going out to this target (or, not sent yet, its creation) to the target's answer. */
export function roundTrip(t: { updatedAt: number; sentAt?: number }, createdAt: number): number {
  return t.updatedAt - (t.sentAt ?? createdAt);
}

/**
 * One row per target with its answer and round trip through cloud, gateway and device, so a group's
 * operator sees which gateway answered what (issue 24).
 */
export function targetRows(targets: any[], createdAt: number): Array<Array<string>> {
  return targets.map((t) => [t.gateway, t.device, t.state, TERMINAL.includes(t.state) ? duration(roundTrip(t, createdAt)) : '-', answer(t)]);
}

async function sendRun(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(SEND, argv);
  const name = positionals[0];
  if (name === undefined) throw new CausewayError('USAGE', 'causeway send needs a command NAME (see causeway send --help)');
  let args: unknown = {};
  if (values.args !== undefined) {
    try {
      args = JSON.parse(str(values.args)!);
    } catch {
      throw new CausewayError('USAGE', `--args must be JSON, got ${str(values.args)}`);
    }
  }
  const body: Record<string, unknown> = { name, args };
  const device = str(values.device);
  if (device) body.device = device;
  if (values.group) body.group = str(values.group);
  if (values.all) body.all = true;
  const num = (flag: string): number | undefined => {
    const v = str(values[flag]);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v === '' || !Number.isFinite(n)) throw new CausewayError('USAGE', `--${flag} must be a number, got "${v}"`);
    return n;
  };
  if (values.ttl) body.ttlSeconds = num('ttl');
  if (values.rate) body.rolloutPerMinute = num('rate');
  if (values['abort-at']) body.abortThresholdPercent = num('abort-at');
  const post = (): Promise<any> => ctx.api.call('POST', '/v1/commands', body);
  const group = str(values.group);
  const created = device !== undefined ? await suggestingIds(ctx.api, device, post) : group !== undefined ? await suggestingGroups(ctx.api, group, post) : await post();
  const id: string = created.command.id;
  const total = Object.values(created.counts as Record<string, number>).reduce((a, b) => a + b, 0);
  if (!values.wait) {
    ctx.out(values.json ? JSON.stringify(created) + '\n' : `command ${id} sent to ${total} target(s): ${summary(created.counts)}\n`);
    return 0;
  }
  ctx.out(`command ${id}: ${total} target(s)\n`);
  let counts: Record<string, number> = created.counts;
  for await (const ev of ctx.api.events(`/v1/commands/${id}/stream`, ctx.signal)) {
    if (ev.status !== undefined && ev.commandId === id && ev.state === undefined) break; // done
    if (ev.QUEUED !== undefined) {
      counts = ev;
      const done = TERMINAL.reduce((a, s) => a + (counts[s] ?? 0), 0);
      const line = progressLine(done, total, summary(counts));
      ctx.out(ctx.isTty ? `\r${line}` : `${line}\n`);
    }
  }
  if (ctx.isTty) ctx.out('\n');
  const final = await ctx.api.call('GET', `/v1/commands/${id}`);
  const t = await ctx.api.call('GET', `/v1/commands/${id}/targets`);
  if (values.json) ctx.out(JSON.stringify({ ...final, targets: t.targets }) + '\n');
  else ctx.out(table(['GATEWAY', 'DEVICE', 'STATE', 'ROUND TRIP', 'ANSWER'], targetRows(t.targets, final.command.createdAt)));
  const times = (t.targets as any[]).filter((x) => TERMINAL.includes(x.state)).map((x) => roundTrip(x, final.command.createdAt));
  const slowest = times.length === 0 ? '' : `, slowest ${duration(Math.max(...times))}`;
  ctx.out(`${final.command.status}: ${summary(final.counts)} (${total} target(s)${slowest})\n`);
  const failed = (final.counts.FAILED ?? 0) + (final.counts.REJECTED ?? 0) + (final.counts.TIMED_OUT ?? 0) + (final.counts.EXPIRED ?? 0);
  return failed > 0 ? 1 : 0;
}

async function commandsRun(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(COMMANDS, argv);
  const fmt = outputFormat(values);
  const api = ctx.api;
  if (positionals[0] === 'cancel') {
    const id = positionals[1];
    if (id === undefined) throw new CausewayError('USAGE', 'causeway commands cancel needs an ID (see causeway commands --help)');
    const r = await api.call('POST', `/v1/commands/${encodeURIComponent(id)}/cancel`);
    ctx.out(`canceled ${r.canceled} target(s)\n`);
    return 0;
  }
  if (positionals.length > 1) throw unknownAction({ ...COMMANDS, actions: ['cancel'] }, positionals[0]!);
  const id = positionals[0];
  if (id === undefined) {
    const r = await api.call('GET', '/v1/commands');
    if (fmt === 'json') return ctx.out(JSON.stringify(r.commands, null, 2) + '\n'), 0;
    if (fmt === 'wide') ctx.out(table(['ID', 'NAME', 'TARGET', 'STATUS', 'CREATED', 'ARGS'], r.commands.map((c: any) => [c.id, c.name, JSON.stringify(c.target), c.status, when(c.createdAt), JSON.stringify(c.args ?? {})])));
    else ctx.out(table(['ID', 'NAME', 'TARGET', 'STATUS', 'CREATED'], r.commands.map((c: any) => [c.id, c.name, JSON.stringify(c.target), c.status, when(c.createdAt)])));
    return 0;
  }
  const c = await api.call('GET', `/v1/commands/${encodeURIComponent(id)}`);
  const state = str(values.state);
  const q = state ? `?state=${encodeURIComponent(state)}` : '';
  const t = await api.call('GET', `/v1/commands/${encodeURIComponent(id)}/targets${q}`);
  if (fmt === 'json') {
    ctx.out(JSON.stringify({ ...c, targets: t.targets }, null, 2) + '\n');
    return 0;
  }
  ctx.out(`${c.command.id} ${c.command.name} ${c.command.status}: ${summary(c.counts)}\n`);
  if (fmt === 'wide') ctx.out(table(['GATEWAY', 'DEVICE', 'STATE', 'ROUND TRIP', 'ANSWER', 'UPDATED'], targetRows(t.targets, c.command.createdAt).map((r, i) => [...r, when(t.targets[i].updatedAt)])));
  else ctx.out(table(['GATEWAY', 'DEVICE', 'STATE', 'REASON'], t.targets.map((x: any) => [x.gateway, x.device, x.state, x.reason])));
  return 0;
}

export const sendCommand: CliCommand = { spec: SEND, run: sendRun };
export const commandsCommand: CliCommand = { spec: COMMANDS, run: commandsRun };
