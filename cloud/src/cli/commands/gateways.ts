import { CausewayError } from '@causeway/shared';
import type { CliCommand, CliContext } from '../cli-context.js';
import { OUTPUT_FLAGS, outputFormat, parseCommand, str, unknownAction, type CommandSpec } from '../command-spec.js';
import { table } from '../table.js';
import { ago } from '../time-format.js';

const GATEWAYS: CommandSpec = {
  name: 'gateways',
  summary: 'fleet health: every gateway with its backlog, disk, version, filtered with --where',
  usage: ['causeway gateways list [--where EXPR] [-o table|json|wide]', 'causeway gateways show ID'],
  flags: {
    where: { type: 'string', value: 'EXPR', help: 'list: clauses joined by "and" or "," (backlog>1000, offline>1h, version<1.4.0, diskFree<500MB; docs/api.md)' },
    ...OUTPUT_FLAGS,
  },
  examples: ["causeway gateways list --where 'backlog>10000 and offline>1h'", "causeway gateways list --where 'diskFree<500MB' -o wide"],
  actions: ['list', 'show'],
};

const print = (ctx: CliContext, v: unknown): void => ctx.out(JSON.stringify(v, null, 2) + '\n');

function bytes(n: number | undefined): string {
  if (n === undefined || n < 0) return '-';
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) (n /= 1024), i++;
  return `${n < 10 && i > 0 ? n.toFixed(1) : Math.round(n)}${u[i]}`;
}

function secs(n: number | undefined): string {
  if (n === undefined) return '-';
  return n < 120 ? `${Math.round(n)}s` : n < 7200 ? `${Math.round(n / 60)}m` : n < 172800 ? `${Math.round(n / 3600)}h` : `${Math.round(n / 86400)}d`;
}

/** `causeway gateways`: GET /v1/gateways (issue 20). */
export const gatewaysCommand: CliCommand = {
  spec: GATEWAYS,
  async run(ctx, argv) {
    const { values, positionals } = parseCommand(GATEWAYS, argv);
    const [action = 'list', id] = positionals;
    const fmt = outputFormat(values);
    switch (action) {
      case 'list': {
        const where = str(values.where);
        const r = await ctx.api.call('GET', `/v1/gateways${where === undefined ? '' : `?where=${encodeURIComponent(where)}`}`);
        if (fmt === 'json') return print(ctx, r.gateways), 0;
        const row = (g: any): unknown[] => {
          const h = g.status?.health;
          const online = g.online ? 'yes' : g.lastSeenAt === undefined ? 'never' : `no (${ago(g.lastSeenAt)})`;
          const base = [g.id, online, g.status?.agentVersion ?? '-', h?.outbox.records ?? '-', secs(h?.outbox.oldestAgeSeconds), bytes(h?.diskFreeBytes)];
          if (fmt !== 'wide') return base;
          return [...base, bytes(h?.outbox.bytes), h?.evictions ?? '-', bytes(h?.memFreeBytes), secs(h?.uptimeSeconds), h?.configVersion ?? '-', g.status?.clockOffsetMs ?? '-', h?.lastUplinkError?.message ?? '-'];
        };
        const head = ['ID', 'ONLINE', 'VERSION', 'BACKLOG', 'OLDEST', 'DISK FREE'];
        ctx.out(table(fmt === 'wide' ? [...head, 'BYTES', 'EVICTED', 'MEM FREE', 'UPTIME', 'CONFIG', 'CLOCK MS', 'LAST ERROR'] : head, r.gateways.map(row)));
        return 0;
      }
      case 'show':
        if (id === undefined) throw new CausewayError('USAGE', 'causeway gateways show needs an ID');
        print(ctx, await ctx.api.call('GET', `/v1/gateways/${encodeURIComponent(id)}`));
        return 0;
      default:
        throw unknownAction(GATEWAYS, action);
    }
  },
};
