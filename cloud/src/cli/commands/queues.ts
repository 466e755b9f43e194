import { CausewayError, didYouMean } from '@causeway/shared';
import type { CliCommand, CliContext } from '../cli-context.js';
import { OUTPUT_FLAGS, outputFormat, parseCommand, str, type CommandSpec } from '../command-spec.js';
import { table } from '../table.js';
import { stamp, when } from '../time-format.js';
import { parseFrom } from '../start-position.js';

const QUEUES: CommandSpec = {
  name: 'queues',
  summary: 'list the server-side queues, their consumer groups and lag',
  usage: ['causeway queues [-o table|json|wide]'],
  flags: { ...OUTPUT_FLAGS },
  examples: ['causeway queues', 'causeway queues -o wide'],
};

const CONSUME: CommandSpec = {
  name: 'consume',
  summary: 'tail a queue as a consumer group, one line per message',
  usage: ['causeway consume QUEUE --group G [--from latest|earliest|TIME] [--mode clustering|broadcasting] [--filter F] [--member M] [--count N] [--json]'],
  flags: {
    group: { type: 'string', value: 'G', help: 'consumer group (required); a new group starts at the oldest message' },
    from: { type: 'string', value: 'latest|earliest|TIME', help: 'move the group first: latest (new messages only), earliest, or a time (ISO 8601, epoch ms, or 10m / 2h / 1d ago)' },
    mode: { type: 'string', value: 'clustering|broadcasting', help: 'clustering shares messages among members (default); broadcasting gives each member all' },
    filter: { type: 'string', value: 'F', help: 'only topics matching this filter below the queue, e.g. /gw1/+/temp' },
    member: { type: 'string', value: 'M', help: 'member name (default cli-<pid>)' },
    count: { type: 'string', value: 'N', help: 'stop after N messages' },
    json: { type: 'boolean', help: 'one raw JSON object per message instead of readable lines' },
  },
  examples: ['causeway consume telemetry --group ops --from latest', 'causeway consume events --group audit --from 2h --count 20 --json'],
};

async function queuesRun(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(QUEUES, argv);
  if (positionals.length > 0) throw new CausewayError('USAGE', `causeway queues takes no arguments, got "${positionals[0]}" (to read a queue: causeway consume ${positionals[0]} --group G)`);
  const fmt = outputFormat(values);
  const r = await ctx.api.call('GET', '/v1/queues');
  if (fmt === 'json') return ctx.out(JSON.stringify(r.queues, null, 2) + '\n'), 0;
  const rows: Array<Array<string | number>> = [];
  for (const q of r.queues) {
    rows.push(fmt === 'wide' ? [q.queue, '', q.nextOffset - q.firstOffset, q.firstOffset, q.nextOffset, '', ''] : [q.queue, '', q.nextOffset - q.firstOffset, '']);
    for (const g of q.groups) rows.push(fmt === 'wide' ? ['', `${g.group} (${g.mode})`, '', '', '', g.committed ?? '', g.lag ?? ''] : ['', `${g.group} (${g.mode})`, '', g.lag ?? '']);
  }
  ctx.out(fmt === 'wide' ? table(['QUEUE', 'GROUP', 'MESSAGES', 'FIRST', 'NEXT', 'COMMITTED', 'LAG'], rows) : table(['QUEUE', 'GROUP', 'MESSAGES', 'LAG'], rows));
  return 0;
}

/**
 * Tails a queue as a consumer group over the SSE endpoint: one line per message. Fails at once on a queue
 * that does not exist, says on stderr where it starts, and stops after --count messages or on Ctrl-C.
 */
async function consumeRun(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(CONSUME, argv);
  const queue = positionals[0];
  const group = str(values.group);
  if (queue === undefined || group === undefined) throw new CausewayError('USAGE', 'causeway consume needs a QUEUE and --group G (see causeway consume --help)');
  const limit = values.count === undefined ? Infinity : Number(values.count);
  if (!(limit > 0) || !Number.isInteger(limit) && limit !== Infinity) throw new CausewayError('USAGE', `--count must be a positive whole number, got "${str(values.count)}"`);
  const from = values.from === undefined ? undefined : parseFrom(str(values.from)!);
  const mode = str(values.mode) ?? 'clustering';
  if (mode !== 'clustering' && mode !== 'broadcasting') throw new CausewayError('USAGE', `--mode must be clustering or broadcasting, got "${mode}"`);

  // A misspelt queue would otherwise wait for ever on an empty queue (issue 24).
  const known = (await ctx.api.call('GET', '/v1/queues')).queues as Array<{ queue: string; firstOffset: number; nextOffset: number }>;
  const info = known.find((q) => q.queue === queue);
  if (info === undefined) {
    const names = known.map((q) => q.queue);
    throw new CausewayError('USAGE', `no queue "${queue}"${didYouMean(queue, names)} (queues: ${names.join(', ')})`);
  }
  const member = str(values.member) ?? `cli-${process.pid}`;
  const spec: Record<string, string> = { mode, ...(values.filter === undefined ? {} : { filter: str(values.filter)! }) };
  const base = `/v1/queues/${encodeURIComponent(queue)}/groups/${encodeURIComponent(group)}`;
  if (from !== undefined) {
    const to = from.kind === 'earliest' ? { offset: info.firstOffset } : from.kind === 'latest' ? { offset: info.nextOffset } : { time: from.time };
    await ctx.api.call('POST', `${base}/seek`, { ...spec, member, ...to });
  }
  const pos = await ctx.api.call('GET', `${base}?${new URLSearchParams({ ...spec, member })}`);
  const start = from === undefined ? 'where the group left off' : from.kind === 'time' ? `the first message at or after ${when(from.time)}` : `the ${from.kind} message`;
  ctx.err(`consuming ${queue} as group ${group} (${mode}) from offset ${pos.committed}, ${start}; ${pos.lag} waiting. Ctrl-C to stop.\n`);

  const q = new URLSearchParams({ ...spec, member });
  const ac = new AbortController();
  ctx.signal.addEventListener('abort', () => ac.abort(), { once: true });
  let n = 0;
  try {
    for await (const m of ctx.api.events(`${base}/stream?${q}`, ac.signal)) {
      if (values.json) ctx.out(JSON.stringify(m) + '\n');
      else {
        const body = m.envelope !== undefined ? JSON.stringify(m.envelope) : Buffer.from(m.payloadBase64, 'base64').toString('utf8');
        ctx.out(`${stamp(m.createdAt)}\t#${m.offset}\t${m.topic}\t${m.properties.clientId ?? '-'}\t${body}\n`);
      }
      if (++n >= limit) break;
    }
  } catch (err) {
    if (!ac.signal.aborted) throw err;
  } finally {
    ac.abort();
  }
  return 0;
}

export const queuesCommand: CliCommand = { spec: QUEUES, run: queuesRun };
export const consumeCommand: CliCommand = { spec: CONSUME, run: consumeRun };
