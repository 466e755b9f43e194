import { CausewayError } from '@causeway/shared';
import type { CliCommand, CliContext } from '../cli-context.js';
import { OUTPUT_FLAGS, outputFormat, parseCommand, str, unknownAction, type CommandSpec } from '../command-spec.js';
import { table } from '../table.js';
import { parseFrom } from '../start-position.js';
import { ago } from '../time-format.js';

const SINKS: CommandSpec = {
  name: 'sinks',
  summary: 'the declarative sinks: lag, rows/s, state; pause, resume, replay',
  usage: [
    'causeway sinks list [-o table|json|wide]',
    'causeway sinks status NAME [--json]',
    'causeway sinks pause|resume NAME',
    'causeway sinks replay NAME (--from earliest|TIME | --offset N)',
  ],
  flags: {
    from: { type: 'string', value: 'earliest|TIME', help: 'replay: from the oldest message, or the first at/after a time (ISO 8601, epoch ms, or 10m / 2h / 1d ago)' },
    offset: { type: 'string', value: 'N', help: 'replay: from this queue offset' },
    ...OUTPUT_FLAGS,
  },
  examples: ['causeway sinks list', 'causeway sinks replay pg-telemetry --from 2h'],
  actions: ['list', 'status', 'pause', 'resume', 'replay'],
};

function row(s: any, wide: boolean): Array<string | number> {
  const err = s.lastError === undefined ? '' : `${s.lastError.code} ${ago(s.lastError.at)}`;
  const base = [s.name, s.queue + (s.filter ?? ''), s.state, s.lag, s.rowsPerSecond, err];
  return wide ? [...base, s.target, s.counters.rows, s.counters.deadLettered, s.counters.failures] : base;
}

async function sinksRun(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(SINKS, argv);
  const [action = 'list', name] = positionals;
  const fmt = outputFormat(values);
  const headers = ['SINK', 'QUEUE', 'STATE', 'LAG', 'ROWS/S', 'LAST ERROR'];
  if (action === 'list') {
    const r = await ctx.api.call('GET', '/v1/sinks');
    if (fmt === 'json') return ctx.out(JSON.stringify(r.sinks, null, 2) + '\n'), 0;
    const wide = fmt === 'wide';
    ctx.out(table(wide ? [...headers, 'TARGET', 'ROWS', 'DEAD-LETTERED', 'FAILURES'] : headers, r.sinks.map((s: any) => row(s, wide))));
    return 0;
  }
  if (!SINKS.actions!.includes(action)) throw unknownAction(SINKS, action);
  if (name === undefined) throw new CausewayError('USAGE', `causeway sinks ${action} needs a sink NAME (causeway sinks list shows them)`);
  const base = `/v1/sinks/${encodeURIComponent(name)}`;
  if (action === 'status') {
    const s = await ctx.api.call('GET', base);
    if (fmt === 'json') return ctx.out(JSON.stringify(s, null, 2) + '\n'), 0;
    ctx.out(
      [
        `sink        ${s.name} (group ${s.group})`,
        `queue       ${s.queue}${s.filter ?? ''}, transform ${s.transform}`,
        `target      ${s.target}`,
        `state       ${s.state}`,
        `lag         ${s.lag} messages (committed offset ${s.committed})`,
        `rows/s      ${s.rowsPerSecond}`,
        `counters    ${Object.entries(s.counters).map(([k, v]) => `${k} ${v}`).join(', ')}`,
        `last error  ${s.lastError === undefined ? '-' : `${s.lastError.code}: ${s.lastError.message} (${ago(s.lastError.at)})`}`,
      ].join('\n') + '\n',
    );
    return 0;
  }
  if (action === 'pause' || action === 'resume') {
    const s = await ctx.api.call('POST', `${base}/${action}`);
    ctx.out(`${s.name}: ${s.state}\n`);
    return 0;
  }
  // replay
  const from = str(values.from);
  const offset = str(values.offset);
  if ((from === undefined) === (offset === undefined)) throw new CausewayError('USAGE', 'causeway sinks replay needs one of --from earliest|TIME or --offset N');
  let body: Record<string, number>;
  if (offset !== undefined) {
    const n = Number(offset);
    if (!Number.isSafeInteger(n) || n < 1) throw new CausewayError('USAGE', `--offset must be a whole number ≥ 1, got "${offset}"`);
    body = { offset: n };
  } else {
    const p = parseFrom(from!);
    if (p.kind === 'latest') throw new CausewayError('USAGE', '--from latest skips messages, it replays none; use pause/resume or an offset');
    body = p.kind === 'earliest' ? { time: 0 } : { time: p.time };
  }
  const r = await ctx.api.call('POST', `${base}/replay`, body);
  ctx.out(`${name}: replaying from offset ${r.offset}; rows already in the target are skipped by their key\n`);
  return 0;
}

export const sinksCommand: CliCommand = { spec: SINKS, run: sinksRun };
