import { writeFileSync } from 'node:fs';
import { CausewayError } from '@causeway/shared';
import { decodeSlice } from '../../fleet/support-bundle.js';
import type { CliCommand, CliContext } from '../cli-context.js';
import { parseCommand, str, type CommandSpec } from '../command-spec.js';
import { parseTtl } from './claims.js';

const LOGS: CommandSpec = {
  name: 'logs',
  summary: "a gateway's recent log, fetched over the command channel (queued while it is offline)",
  usage: ['causeway logs GATEWAY [--since 1h] [--level info|warning|error] [--max-lines N] [--follow] [--ttl 1h]'],
  flags: {
    since: { type: 'string', value: 'DURATION', help: 'lines from this long ago (90s, 15m, 1h, 2d; default 1h)' },
    level: { type: 'string', value: 'LEVEL', help: 'lowest level shown: debug, info (default), warning, error' },
    'max-lines': { type: 'string', value: 'N', help: 'at most this many lines, the newest (default 1000, at most 5000)' },
    follow: { type: 'boolean', help: 'keep asking for new lines every few seconds until Ctrl-C' },
    ttl: { type: 'string', value: 'DURATION', help: 'how long an offline gateway has to come back and answer (default 1h)' },
  },
  examples: ['causeway logs gw-17 --since 1h --level warning', 'causeway logs gw-17 --follow'],
};

const BUNDLE: CommandSpec = {
  name: 'bundle',
  summary: "a gateway's support bundle: config with secrets masked, versions, status, last log lines",
  usage: ['causeway bundle GATEWAY [--out FILE] [--lines 200] [--ttl 1h] [--latest]'],
  flags: {
    latest: { type: 'boolean', help: 'download the latest bundle the gateway sent (GET /v1/gateways/GATEWAY/bundle) instead of asking for a new one' },
    out: { type: 'string', value: 'FILE', help: 'write the bundle here (default GATEWAY-bundle.json; never overwritten)' },
    lines: { type: 'string', value: 'N', help: 'last log lines to include (default 200, at most 1000)' },
    ttl: { type: 'string', value: 'DURATION', help: 'how long an offline gateway has to come back and answer (default 1h)' },
  },
  examples: ['causeway bundle gw-17 --out /tmp/gw-17.json --lines 1000', 'causeway bundle gw-17 --latest'],
};

const DIAGNOSE: CommandSpec = {
  name: 'diagnose',
  summary: "a gateway's own checks: DNS/TCP/TLS to the cloud with latency, outbox integrity, disk by component, serial ports",
  usage: ['causeway diagnose GATEWAY [--checks network,outbox,disk,serial] [--ttl 1h]'],
  flags: {
    checks: { type: 'string', value: 'LIST', help: 'which checks (default all): network, outbox, disk, serial' },
    ttl: { type: 'string', value: 'DURATION', help: 'how long an offline gateway has to come back and answer (default 1h)' },
  },
  examples: ['causeway diagnose gw-17', 'causeway diagnose gw-17 --checks network'],
};

const TERMINAL = ['SUCCEEDED', 'FAILED', 'REJECTED', 'TIMED_OUT', 'EXPIRED', 'CANCELED'];

/*
 * `causeway logs`, `bundle` and `diagnose` (issue 20): the gateway's own built-ins (`logs`,
 * `support-bundle`, `diagnose`), sent over the command channel and decoded here.
 */

/**
 * Sends one built-in command to a gateway and waits for its answer, however long the gateway takes to
 * come back within the TTL (the command is queued for it like any other). Returns the output.
 */
async function ask(ctx: CliContext, gateway: string, name: string, args: Record<string, unknown>, ttlSeconds: number, quiet = false): Promise<any> {
  return (await askFor(ctx, gateway, name, args, ttlSeconds, quiet)).output;
}

/** As `ask`, with the command's id. */
async function askFor(ctx: CliContext, gateway: string, name: string, args: Record<string, unknown>, ttlSeconds: number, quiet = false): Promise<{ id: string; output: any }> {
  const created = await ctx.api.call('POST', '/v1/commands', { name, device: gateway, args, ttlSeconds });
  const id: string = created.command.id;
  const gw = await ctx.api.call('GET', `/v1/devices/${encodeURIComponent(gateway)}`).catch(() => undefined);
  if (gw !== undefined && gw.online === false && !quiet) ctx.err(`${gateway} is offline; the request waits for it up to ${ttlSeconds} s (command ${id})\n`);
  for await (const ev of ctx.api.events(`/v1/commands/${id}/stream`, ctx.signal)) {
    if (ev.status !== undefined && ev.commandId === id && ev.state === undefined) break;
    if (ev.state !== undefined && TERMINAL.includes(ev.state)) break;
  }
  const t = (await ctx.api.call('GET', `/v1/commands/${id}/targets`)).targets[0];
  if (t?.state !== 'SUCCEEDED') throw new CausewayError(t?.state === 'EXPIRED' ? 'IO_GATEWAY_UNREACHABLE' : 'COMMAND_FAILED', `${gateway} did not answer ${name}: ${t?.state ?? 'no target'}${t?.reason ? ` (${t.reason})` : ''}`);
  return { id, output: t.output };
}

function level(v: string | undefined): string {
  const l = v === undefined ? 'info' : v === 'warning' ? 'warn' : v;
  if (!['debug', 'info', 'warn', 'error'].includes(l)) throw new CausewayError('USAGE', `--level must be debug, info, warning or error, got "${v}"`);
  return l;
}

async function logsRun(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(LOGS, argv);
  const gateway = positionals[0];
  if (gateway === undefined) throw new CausewayError('USAGE', 'causeway logs needs a GATEWAY (see causeway logs --help)');
  const ttl = parseTtl(str(values.ttl) ?? '1h');
  const maxLines = Number(str(values['max-lines']) ?? 1000);
  if (!Number.isInteger(maxLines) || maxLines < 1) throw new CausewayError('USAGE', `--max-lines must be a whole number ≥ 1`);
  const args = { sinceSeconds: parseTtl(str(values.since) ?? '1h'), level: level(str(values.level)), maxLines };
  let seen = new Set<string>();
  for (let round = 0; ; round++) {
    const slice = await ask(ctx, gateway, 'logs', args, ttl, round > 0);
    const lines = decodeSlice(slice).filter((l) => !seen.has(l));
    if (round === 0 && typeof slice.journalError === 'string') ctx.err(`(the gateway's journal could not be read: ${slice.journalError}; these lines are from its log ring)\n`);
    if (slice.truncated && round === 0) ctx.err(`(${slice.matched - slice.lines} older matching lines left out: the answer is limited; narrow --since or --level)\n`);
    for (const l of lines) ctx.out(l + '\n');
    if (!values.follow) return 0;
    // The next round asks from the newest line's second on, and skips what was printed already.
    if (slice.lastTs !== undefined) {
      args.sinceSeconds = Math.max(0, (Date.now() - Date.parse(slice.lastTs)) / 1000 + 1);
      seen = new Set(decodeSlice(slice));
    }
    await new Promise((r) => setTimeout(r, 3000));
    if (ctx.signal.aborted) return 0;
  }
}

async function bundleRun(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(BUNDLE, argv);
  const gateway = positionals[0];
  if (gateway === undefined) throw new CausewayError('USAGE', 'causeway bundle needs a GATEWAY (see causeway bundle --help)');
  const out = str(values.out) ?? `${gateway}-bundle.json`;
  const lines = Number(str(values.lines) ?? 200);
  const g = encodeURIComponent(gateway);
  // The file is what the API serves (GET /v1/gateways/{id}/bundle): one decoder, in the cloud.
  const path = values.latest ? `/v1/gateways/${g}/bundle` : `/v1/gateways/${g}/bundle?command=${encodeURIComponent((await askFor(ctx, gateway, 'support-bundle', { lines }, parseTtl(str(values.ttl) ?? '1h'))).id)}`;
  const bundle = await ctx.api.call('GET', path);
  try {
    writeFileSync(out, JSON.stringify(bundle, null, 2) + '\n', { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new CausewayError('USAGE', `${out} exists; pass --out NEWFILE (it is never overwritten)`);
    throw err;
  }
  ctx.out(`support bundle of ${gateway} written to ${out}\n`);
  return 0;
}

async function diagnoseRun(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(DIAGNOSE, argv);
  const gateway = positionals[0];
  if (gateway === undefined) throw new CausewayError('USAGE', 'causeway diagnose needs a GATEWAY (see causeway diagnose --help)');
  const checks = str(values.checks)?.split(',').map((c) => c.trim()).filter(Boolean);
  const out = await ask(ctx, gateway, 'diagnose', checks === undefined ? {} : { checks }, parseTtl(str(values.ttl) ?? '1h'));
  ctx.out(JSON.stringify(out, null, 2) + '\n');
  return 0;
}

export const diagnoseCommand: CliCommand = { spec: DIAGNOSE, run: diagnoseRun };
export const logsCommand: CliCommand = { spec: LOGS, run: logsRun };
export const bundleCommand: CliCommand = { spec: BUNDLE, run: bundleRun };
