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

/**
 * Starts each broker in turn, runs every case against it, and stops it before the next one starts (the
 * brokers never compete for the two cores). A broker that cannot start yields "skipped" rows carrying the
 * reason; any other failure is recorded on its row and the other brokers still run.
 */
export async function rowsForBrokers(names: readonly CompetitorName[], cases: readonly BrokerCase[], opts: (n: CompetitorName) => StartOptions): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  for (const name of names) {
    const ours = name === 'causeway';
    let broker: RunningBroker;
    try {
      process.stderr.write(`starting ${name}…\n`);
      broker = await startCompetitor(name, opts(name));
    } catch (err) {
      const why = err instanceof CompetitorUnavailableError ? `not runnable yet: ${err.message}` : `failed to start: ${String(err)}`;
      process.stderr.write(`skipping ${name}: ${why}\n`);
      for (const c of cases) rows.push({ case: c.label, contender: name === 'causeway' ? 'causeway-cloud' : name, ours, skipped: why });
      continue;
    }
    try {
      for (const c of cases) {
        process.stderr.write(`  ${broker.label}: ${c.label}…\n`);
        try {
          const r = await c.run(broker);
          // Broker CPU per message (connects excluded) does not depend on how fast the shared-core load
          // generator is, unlike msgs/s.
          const { brokerS, generatorS, wallMs } = r.cpu;
          const perMsg = (brokerS * 1e6) / Math.max(1, c.handled(r));
          const cpuNote = Number.isNaN(brokerS)
            ? ''
            : `; broker CPU ${brokerS.toFixed(2)} s in ${(wallMs / 1000).toFixed(1)} s = ${perMsg.toFixed(1)} µs/msg; load generator CPU ${generatorS.toFixed(2)} s`;
          rows.push({ case: c.label, contender: broker.label, ours, value: c.figure(r), detail: `${c.describe(r)}${cpuNote}` });
          process.stderr.write(`    ${formatFigure(c.figure(r))} — ${c.describe(r)}${cpuNote}\n`);
        } catch (err) {
          rows.push({ case: c.label, contender: broker.label, ours, skipped: `run failed: ${err instanceof Error ? err.message : String(err)}` });
        }
      }
    } finally {
      await broker.stop();
    }
  }
  return rows;
}

/** "delivered 399,800/400,000 · p50 1.2 ms · p99 3.4 ms · max 9 ms · stopped: duration" */
export function describeLoad(r: LoadReport, what: 'delivered' | 'acked'): string {
  const got = what === 'delivered' ? r.delivered : r.acked;
  const stop = r.stopReason === 'count' ? '' : ` · stopped: ${r.stopReason}`;
  const bytes = r.bytesPerDelivery === undefined || Number.isNaN(r.bytesPerDelivery) ? '' : ` · ${r.bytesPerDelivery.toFixed(1)} B/delivery`;
  return `${what} ${got.toLocaleString('en-US')}/${r.expected.toLocaleString('en-US')} · ${r.latency.summaryMicros()}${bytes}${stop}`;
}
