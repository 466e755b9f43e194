import { CompetitorUnavailableError, startCompetitor, type CompetitorName, type RunningBroker, type StartOptions } from './competitors.js';
import type { LoadReport } from './load.js';
import { formatFigure } from './report.js';
import type { ResultRow } from './result.js';

export interface BrokerCase {
  /** row label, e.g. "QoS 1, 200 subscribers" */
  label: string;
  run(broker: RunningBroker): Promise<LoadReport>;
  /** the figure to report from the load report */
  figure(r: LoadReport): number;
  /** messages the broker handled in the run (deliveries or PUBACKs), to report its CPU cost per message */
  handled(r: LoadReport): number;
  /** facts for the detail column */
  describe(r: LoadReport): string;
}

/** One run of one case on one broker: its figure, its broker CPU per message and its detail. */
export interface RoundResult {
  value: number;
  /** broker CPU µs per handled message; NaN when the broker's CPU could not be read */
  cpuPerMsg: number;
  detail: string;
}

export function median(xs: readonly number[]): number {
  const v = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

const fmtList = (xs: readonly number[], f: (x: number) => string): string => xs.map(f).join(' · ');
const ratio = (x: number): string => `${x.toFixed(2)}×`;

/**
 * The row of one contender over several rounds (`--rounds N`): the median figure, every round's figure and
 * CPU per message, and, for a competitor, Causeway's ratio to it round by round. A paired ratio (both
 * brokers in the same round, minutes apart) is what a noisy machine still lets one read: drift moves both.
 */
export function summarizeRounds(mine: readonly RoundResult[], ours: readonly RoundResult[] | undefined): { value: number; detail: string } {
  const values = mine.map((r) => r.value);
  const cpu = mine.map((r) => r.cpuPerMsg);
  const parts = [`median of ${mine.length} rounds; rounds ${fmtList(values, formatFigure)}`];
  if (cpu.some((c) => !Number.isNaN(c))) parts.push(`broker CPU µs/msg ${fmtList(cpu, (c) => c.toFixed(1))} (median ${median(cpu).toFixed(1)})`);
  if (ours !== undefined && ours.length === mine.length) {
    const byValue = mine.map((r, i) => ours[i]!.value / r.value);
    parts.push(`causeway ÷ this per round: ${fmtList(byValue, ratio)} (median ${ratio(median(byValue))})`);
    const byCpu = mine.map((r, i) => ours[i]!.cpuPerMsg / r.cpuPerMsg);
    if (byCpu.some((c) => !Number.isNaN(c))) parts.push(`causeway's CPU per message ÷ this per round: ${fmtList(byCpu, ratio)} (median ${ratio(median(byCpu))})`);
  }
  parts.push(`last round: ${mine[mine.length - 1]!.detail}`);
  return { value: median(values), detail: parts.join('; ') };
}

/**
 * Starts each broker in turn, runs every case against it, and stops it before the next one starts (the
 * brokers never compete for the two cores). A broker that cannot start yields "skipped" rows carrying the
 * reason; any other failure is recorded on its row and the other brokers still run.
 *
 * With `rounds` > 1 the whole sequence runs that many times, the brokers' order rotating each round, and
 * each row reports the median with every round's figure (summarizeRounds): on a machine whose speed drifts
 * from one minute to the next a single run of each says little.
 */
export async function rowsForBrokers(names: readonly CompetitorName[], cases: readonly BrokerCase[], opts: (n: CompetitorName) => StartOptions, rounds = 1): Promise<ResultRow[]> {
  if (rounds <= 1) return runRound(names, cases, opts).then((r) => r.rows);
  const results = new Map<string, { row: ResultRow; rounds: RoundResult[] }>();
  const key = (name: CompetitorName, c: string): string => `${name}\u0000${c}`;
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]!);
    process.stderr.write(`round ${round + 1} of ${rounds}: ${order.join(', ')}\n`);
    const { rows, raw } = await runRound(order, cases, opts);
    rows.forEach((row, i) => {
      const k = key(order[Math.floor(i / cases.length)]!, row.case);
      const seen = results.get(k) ?? { row, rounds: [] };
      // A contender skipped or failed in any round is reported as such, with the first reason.
      const r = raw[i];
      if (r !== undefined) seen.rounds.push(r);
      else if (seen.row.skipped === undefined) seen.row = row;
      results.set(k, seen);
    });
  }
  const out: ResultRow[] = [];
  for (const name of names) {
    for (const c of cases) {
      const r = results.get(key(name, c.label))!;
      if (r.row.skipped !== undefined || r.rounds.length < rounds) {
        out.push({ case: r.row.case, contender: r.row.contender, ours: r.row.ours, skipped: r.row.skipped ?? 'failed in some rounds' });
        continue;
      }
      const ours = name === 'causeway' ? undefined : results.get(key('causeway', c.label))?.rounds;
      out.push({ case: r.row.case, contender: r.row.contender, ours: r.row.ours, ...summarizeRounds(r.rounds, ours) });
    }
  }
  return out;
}

/** One pass over the brokers; `raw[i]` is rows[i]'s figures (undefined for a skipped or failed row). */
async function runRound(names: readonly CompetitorName[], cases: readonly BrokerCase[], opts: (n: CompetitorName) => StartOptions): Promise<{ rows: ResultRow[]; raw: (RoundResult | undefined)[] }> {
  const rows: ResultRow[] = [];
  const raw: (RoundResult | undefined)[] = [];
  for (const name of names) {
    const ours = name === 'causeway';
    let broker: RunningBroker;
    try {
      process.stderr.write(`starting ${name}…\n`);
      broker = await startCompetitor(name, opts(name));
    } catch (err) {
      const why = err instanceof CompetitorUnavailableError ? `not runnable yet: ${err.message}` : `failed to start: ${String(err)}`;
      process.stderr.write(`skipping ${name}: ${why}\n`);
      for (const c of cases) {
        rows.push({ case: c.label, contender: name === 'causeway' ? 'causeway-cloud' : name, ours, skipped: why });
        raw.push(undefined);
      }
      continue;
    }
    try {
      for (const c of cases) {
        process.stderr.write(`  ${broker.label}: ${c.label}…\n`);
        try {
          const r = await c.run(broker);
          // Broker CPU per message (connects excluded) does not depend on how fast the shared-core load
          // generator is, unlike msgs/s.
          const { brokerS, brokerMainS, generatorS, wallMs } = r.cpu;
          // A Node broker's main thread runs its event loop; the rest is V8's compiler and GC helpers and
          // libuv's pool. A Go broker (nats-server) has no such thread, so it is not shown.
          const onNode = name === 'causeway' || name === 'aedes';
          const perMsg = (brokerS * 1e6) / Math.max(1, c.handled(r));
          const cpuNote = Number.isNaN(brokerS)
            ? ''
            : `; broker CPU ${brokerS.toFixed(2)} s${Number.isNaN(brokerMainS) || !onNode ? '' : ` (main thread ${brokerMainS.toFixed(2)} s)`} in ${(wallMs / 1000).toFixed(1)} s = ${perMsg.toFixed(1)} µs/msg; load generator CPU ${generatorS.toFixed(2)} s`;
          const detail = `${c.describe(r)}${cpuNote}`;
          rows.push({ case: c.label, contender: broker.label, ours, value: c.figure(r), detail });
          raw.push({ value: c.figure(r), cpuPerMsg: Number.isNaN(brokerS) ? NaN : perMsg, detail });
          process.stderr.write(`    ${formatFigure(c.figure(r))} — ${detail}\n`);
        } catch (err) {
          rows.push({ case: c.label, contender: broker.label, ours, skipped: `run failed: ${err instanceof Error ? err.message : String(err)}` });
          raw.push(undefined);
        }
      }
    } finally {
      await broker.stop();
    }
  }
  return { rows, raw };
}

/** "delivered 399,800/400,000 · p50 1.2 ms · p99 3.4 ms · max 9 ms · stopped: duration" */
export function describeLoad(r: LoadReport, what: 'delivered' | 'acked'): string {
  const got = what === 'delivered' ? r.delivered : r.acked;
  const stop = r.stopReason === 'count' ? '' : ` · stopped: ${r.stopReason}`;
  const bytes = r.bytesPerDelivery === undefined || Number.isNaN(r.bytesPerDelivery) ? '' : ` · ${r.bytesPerDelivery.toFixed(1)} B/delivery`;
  return `${what} ${got.toLocaleString('en-US')}/${r.expected.toLocaleString('en-US')} · ${r.latency.summaryMicros()}${bytes}${stop}`;
}
