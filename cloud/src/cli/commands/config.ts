import { readFileSync } from 'node:fs';
import { CausewayError, EXIT, didYouMean } from '@causeway/shared';
import type { CliCommand, CliContext } from '../cli-context.js';
import { outputFormat, parseCommand, str, unknownAction, type CommandSpec } from '../command-spec.js';
import { suggestingIds } from '../id-suggestion.js';
import { table } from '../table.js';
import { when } from '../time-format.js';
import { diffDocs, oneLine } from '../config-diff.js';

const CONFIG: CommandSpec = {
  name: 'config',
  summary: 'push remote config to gateways and see whether they applied it',
  usage: [
    'causeway config set (--gateway GW | --group G | --all) (--file F | --json \'{…}\') [--wait [--timeout SECONDS]]',
    'causeway config status [-o table|json|wide]',
    'causeway config history [--limit N] [-o table|json|wide]',
    'causeway config diff VERSION [OTHER]   (VERSION against the scope\'s previous one, or against OTHER)',
  ],
  flags: {
    gateway: { type: 'string', value: 'GW', help: 'set: for this gateway only' },
    group: { type: 'string', value: 'G', help: 'set: for every gateway of group G' },
    all: { type: 'boolean', help: 'set: for every gateway' },
    file: { type: 'string', value: 'F', help: 'set: the config document, a JSON file (keys of causeway-edge, e.g. {"uplink":{"codec":"json"}})' },
    json: { type: 'string', value: 'DOC', help: 'set: the config document inline' },
    wait: { type: 'boolean', help: 'set: wait until each gateway reported APPLIED or REJECTED; exit 1 if one rejected, 75 on timeout' },
    timeout: { type: 'string', value: 'SECONDS', help: 'set --wait: give up after this long (default 60)' },
    limit: { type: 'string', value: 'N', help: 'history: the last N changes (default 20)' },
    output: { type: 'string', short: 'o', value: 'table|json|wide', help: 'status, history: output format (default table)' },
  },
  examples: ['causeway config set --group north --json \'{"uplink":{"maxBytesPerSecond":20000}}\' --wait', 'causeway config diff 7'],
  actions: ['set', 'status', 'history', 'diff'],
};

function errorText(e: { key?: string; message: string } | undefined): string {
  return e ? `${e.key ?? ''} ${e.message}`.trim() : '';
}

async function status(ctx: CliContext, values: Record<string, unknown>): Promise<number> {
  const fmt = outputFormat({ output: values.output as string | undefined });
  const r = await ctx.api.call('GET', '/v1/config/status');
  if (fmt === 'json') return ctx.out(JSON.stringify(r.gateways, null, 2) + '\n'), 0;
  if (fmt === 'wide') {
    ctx.out(table(['GATEWAY', 'DESIRED', 'REPORTED', 'STATUS', 'IN SYNC', 'REPORTED AT', 'ERROR'], r.gateways.map((g: any) => [g.gateway, g.desiredVersion, g.reportedVersion, g.status, g.inSync, g.reportedAt ? when(g.reportedAt) : '-', errorText(g.error)])));
  } else {
    ctx.out(table(['GATEWAY', 'DESIRED', 'REPORTED', 'STATUS', 'IN SYNC', 'ERROR'], r.gateways.map((g: any) => [g.gateway, g.desiredVersion, g.reportedVersion, g.status, g.inSync, errorText(g.error)])));
  }
  return 0;
}

/**
 * `config set --wait`: polls the status until every gateway the version went to reported it (APPLIED or
 * REJECTED). Exit 0 all applied, 1 any rejected, 75 (EX_TEMPFAIL) when some never answered in time.
 */
async function waitFor(ctx: CliContext, version: number, gateways: string[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let rows: any[] = [];
  for (;;) {
    const all = (await ctx.api.call('GET', '/v1/config/status')).gateways as any[];
    rows = gateways.map((gw) => all.find((r) => r.gateway === gw) ?? { gateway: gw });
    const answered = (r: any): boolean => r.reportedVersion !== undefined && r.reportedVersion >= version && (r.status === 'APPLIED' || r.status === 'REJECTED');
    if (rows.every(answered) || Date.now() >= deadline || ctx.signal.aborted) {
      ctx.out(table(['GATEWAY', 'VERSION', 'STATUS', 'ERROR'], rows.map((r) => [r.gateway, r.reportedVersion ?? '-', answered(r) ? r.status : 'NO ANSWER', errorText(r.error)])));
      const applied = rows.filter((r) => answered(r) && r.status === 'APPLIED').length;
      const rejected = rows.filter((r) => answered(r) && r.status === 'REJECTED').length;
      const silent = rows.length - applied - rejected;
      ctx.out(`version ${version}: ${applied} applied, ${rejected} rejected, ${silent} no answer\n`);
      return rejected > 0 ? 1 : silent > 0 ? EXIT.TEMPFAIL : 0;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function scopeText(scope: string): string {
  return scope === 'all' ? 'all gateways' : scope.replace(':', ' ');
}

async function history(ctx: CliContext, values: Record<string, unknown>): Promise<number> {
  const fmt = outputFormat({ output: values.output as string | undefined });
  const limit = Number(str(values.limit) ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CausewayError('USAGE', `--limit must be a whole number from 1 to 1000, got "${str(values.limit)}"`);
  const r = await ctx.api.call('GET', `/v1/config/history?limit=${limit}`);
  if (fmt === 'json') return ctx.out(JSON.stringify(r.history, null, 2) + '\n'), 0;
  const rows = r.history.map((h: any) => [h.version, scopeText(h.scope), when(h.at), fmt === 'wide' ? JSON.stringify(h.doc) : oneLine(h.doc)]);
  ctx.out(table(['VERSION', 'SCOPE', 'SET AT', fmt === 'wide' ? 'DOCUMENT' : 'KEYS'], rows));
  return 0;
}

/** `config diff V [W]`: V against the previous version of its scope, or against W. */
async function diff(ctx: CliContext, positionals: string[]): Promise<number> {
  const nums = positionals.slice(1).map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 1) throw new CausewayError('USAGE', `config diff wants version numbers, got "${p}"`);
    return n;
  });
  if (nums.length < 1 || nums.length > 2) throw new CausewayError('USAGE', 'causeway config diff needs VERSION [OTHER] (see causeway config --help)');
  const all = (await ctx.api.call('GET', '/v1/config/history?limit=1000')).history as Array<{ version: number; scope: string; doc: unknown }>;
  const find = (v: number) => {
    const h = all.find((x) => x.version === v);
    if (h === undefined) throw new CausewayError('USAGE', `no config version ${v}; the versions are ${all.map((x) => x.version).reverse().join(', ') || 'none yet'}`);
    return h;
  };
  const b = find(nums[nums.length === 2 ? 1 : 0]!);
  const a = nums.length === 2 ? find(nums[0]!) : all.find((x) => x.scope === b.scope && x.version < b.version);
  ctx.out(`--- ${a === undefined ? `nothing before version ${b.version}` : `version ${a.version} (${scopeText(a.scope)})`}\n+++ version ${b.version} (${scopeText(b.scope)})\n`);
  const lines = diffDocs(a?.doc ?? {}, b.doc);
  ctx.out(lines.length === 0 ? 'no differences\n' : lines.join('\n') + '\n');
  return 0;
}

async function configRun(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(CONFIG, argv);
  const action = positionals[0] ?? 'status';
  if (!CONFIG.actions!.includes(action)) throw unknownAction(CONFIG, action);
  if (action === 'status') return status(ctx, values);
  if (action === 'history') return history(ctx, values);
  if (action === 'diff') return diff(ctx, positionals);
  const file = str(values.file);
  let text: string | undefined;
  if (file !== undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CausewayError('USAGE', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
  } else text = str(values.json);
  if (text === undefined) throw new CausewayError('USAGE', 'causeway config set needs --file F or --json DOC (see causeway config --help)');
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    throw new CausewayError('USAGE', 'the config is not valid JSON');
  }
  const gateway = str(values.gateway);
  const group = str(values.group);
  const path = gateway ? `/v1/config/gateways/${encodeURIComponent(gateway)}` : group ? `/v1/config/groups/${encodeURIComponent(group)}` : values.all ? '/v1/config/all' : undefined;
  if (path === undefined) throw new CausewayError('USAGE', 'causeway config set needs --gateway GW, --group G or --all');
  const timeout = Number(str(values.timeout) ?? 60);
  if (!(timeout > 0)) throw new CausewayError('USAGE', `--timeout must be a positive number of seconds, got "${str(values.timeout)}"`);
  const put = (): Promise<any> => ctx.api.call('PUT', path, { config });
  const r = gateway === undefined ? await put() : await suggestingIds(ctx.api, gateway, put, ['gateway']);
  ctx.out(`config version ${r.version} pushed to ${r.gateways.length} gateway(s)\n`);
  if (group !== undefined && r.gateways.length === 0) {
    // Stored (a gateway may join the group later), but most likely a typo: say so.
    const names = ((await ctx.api.call('GET', '/v1/groups')).groups as Array<{ name: string }>).map((g) => g.name);
    ctx.err(`warning: no gateway is in group ${group}${didYouMean(group, names)}\n`);
  }
  return values.wait ? waitFor(ctx, r.version, r.gateways, timeout * 1000) : 0;
}

export const configCommand: CliCommand = { spec: CONFIG, run: configRun };
