/**
 * Idle connections (issue 6): N MQTT clients connect and then stay silent; the broker's resident
 * memory (VmRSS) is read before, halfway and after, giving bytes per idle connection on causeway-cloud,
 * mosquitto and aedes, each started fresh and alone: over the whole run ((after − before) ÷ N, which also
 * counts what a broker grows once under any burst, such as V8's young generation), and per additional
 * connection ((after − halfway) ÷ the second half, the cost that scales with the fleet; issue 15).
 *
 *   npm run bench -- idle-connections [--quick] [--connections 19000] [--concurrency 200]
 *                                     [--settle-ms 3000] [--brokers causeway,mosquitto,aedes]
 *
 * Each process here may hold at most 20,000 descriptors (`ulimit -Hn` on the benchmark machine, and a
 * container cannot raise it), and both the broker and this load generator need one per connection, so
 * the default is 19,000 rather than 20,000.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sourceAddress } from '@causeway/sim/fleet/source-address.js';
import { boolFlag, intFlag, listFlag } from './lib/args.js';
import { formatBytes, rssBytes } from './lib/broker-footprint.js';
import { CompetitorUnavailableError, isCompetitorName, startCompetitor, type CompetitorName, type RunningBroker } from './lib/competitors.js';
import { forEachConcurrent, rawConnect, type RawClient } from './lib/raw-mqtt.js';
import type { BenchArgs, BenchResult, ResultRow } from './lib/result.js';

export const description = 'N idle MQTT connections: broker RSS per connection, causeway-cloud vs mosquitto and aedes';

interface Measured {
  connected: number;
  stillOpen: number;
  rssBefore: number;
  /** RSS once the first half (`connectedHalf`) had connected */
  rssHalf: number;
  connectedHalf: number;
  rssAfter: number;
  connectMs: number;
}

/** The two figures of a run, in bytes per connection. */
export interface PerConnection {
  /** (after − before) ÷ every connection */
  whole: number;
  /** (after − halfway) ÷ the connections made after the halfway reading */
  additional: number;
}

export function perConnection(m: Pick<Measured, 'connected' | 'rssBefore' | 'rssHalf' | 'connectedHalf' | 'rssAfter'>): PerConnection {
  if (m.connected <= 0 || m.connectedHalf <= 0 || m.connectedHalf >= m.connected) throw new RangeError(`need 0 < halfway (${m.connectedHalf}) < connections (${m.connected})`);
  return { whole: (m.rssAfter - m.rssBefore) / m.connected, additional: (m.rssAfter - m.rssHalf) / (m.connected - m.connectedHalf) };
}

/** The highest of a few readings `settleMs` apart: a Node broker's RSS moves with its GC. */
async function steadyRss(pid: number, settleMs: number): Promise<number> {
  await sleep(settleMs);
  let max = 0;
  for (let i = 0; i < 5; i++) {
    max = Math.max(max, rssBytes(pid));
    await sleep(200);
  }
  return max;
}

async function measure(broker: RunningBroker, n: number, concurrency: number, settleMs: number): Promise<Measured> {
  const rssBefore = await steadyRss(broker.pid, settleMs);
  const clients: RawClient[] = [];
  const prefix = `idle-${process.pid}`;
  const t0 = performance.now();
  try {
    // A source address per client lifts the ~28k ephemeral-port ceiling of one (source, destination) pair.
    const connect = (from: number, count: number) =>
      forEachConcurrent(count, concurrency, async (i) => {
        clients.push(await rawConnect({ host: '127.0.0.1', port: broker.port, localAddress: sourceAddress(from + i), clientId: `${prefix}-${from + i}`, clean: true, protocolVersion: 4, keepalive: 900 }));
      });
    const half = Math.floor(n / 2);
    await connect(0, half);
    let connectMs = performance.now() - t0;
    const connectedHalf = clients.length;
    const rssHalf = await steadyRss(broker.pid, settleMs);
    const t1 = performance.now();
    await connect(half, n - half);
    connectMs += performance.now() - t1;
    const rssAfter = await steadyRss(broker.pid, settleMs);
    const stillOpen = clients.filter((c) => !c.socket.destroyed).length;
    return { connected: clients.length, stillOpen, rssBefore, rssHalf, connectedHalf, rssAfter, connectMs };
  } finally {
    for (const c of clients) c.destroy();
  }
}

export async function run(args: BenchArgs): Promise<BenchResult> {
  const quick = boolFlag(args, 'quick');
  const n = intFlag(args, 'connections', quick ? 2000 : 19_000);
  const concurrency = intFlag(args, 'concurrency', 200);
  const settleMs = intFlag(args, 'settle-ms', quick ? 1500 : 3000);
  const brokers = listFlag(args, 'brokers', ['causeway', 'mosquitto', 'aedes']).map((b) => {
    if (!isCompetitorName(b)) throw new Error(`--brokers: unknown broker ${b}`);
    return b as CompetitorName;
  });
  const label = `${n.toLocaleString('en-US')} idle connections`;
  const wholeCase = `${label}, bytes of RSS per connection (lower is better)`;
  const additionalCase = `${label}, bytes of RSS per additional connection, second half (lower is better)`;
  const rows: ResultRow[] = [];
  for (const name of brokers) {
    const ours = name === 'causeway';
    let broker: RunningBroker;
    try {
      process.stderr.write(`starting ${name}…\n`);
      // mosquitto without persistence, like the others hold idle clean sessions in memory only
      // causeway-cloud refuses connections past limits.maxConnections (default 10,000): raise it as an operator would
      broker = await startCompetitor(name, { persistence: false, causewayArgs: ['--limits.maxConnections', String(n + 100)] });
    } catch (err) {
      const skipped = err instanceof CompetitorUnavailableError ? err.message : String(err);
      rows.push({ case: wholeCase, contender: name, ours, skipped }, { case: additionalCase, contender: name, ours, skipped });
      continue;
    }
    try {
      const m = await measure(broker, n, concurrency, settleMs);
      const per = perConnection(m);
      process.stderr.write(`    ${broker.label}: ${formatBytes(m.rssBefore)} → ${formatBytes(m.rssHalf)} → ${formatBytes(m.rssAfter)}, ${per.whole.toFixed(0)} B/connection, ${per.additional.toFixed(0)} B/additional connection\n`);
      const open = `${m.stillOpen.toLocaleString('en-US')}/${m.connected.toLocaleString('en-US')} still open at the reading`;
      rows.push({
        case: wholeCase,
        contender: broker.label,
        ours,
        value: per.whole,
        detail: `RSS ${formatBytes(m.rssBefore)} → ${formatBytes(m.rssAfter)}; ${open}; connected in ${(m.connectMs / 1000).toFixed(1)} s`,
      });
      rows.push({
        case: additionalCase,
        contender: broker.label,
        ours,
        value: per.additional,
        detail: `RSS ${formatBytes(m.rssHalf)} at ${m.connectedHalf.toLocaleString('en-US')} → ${formatBytes(m.rssAfter)} at ${m.connected.toLocaleString('en-US')}; ${open}`,
      });
    } catch (err) {
      const skipped = `run failed: ${err instanceof Error ? err.message : String(err)}`;
      rows.push({ case: wholeCase, contender: broker.label, ours, skipped }, { case: additionalCase, contender: broker.label, ours, skipped });
    } finally {
      await broker.stop();
    }
  }
  return {
    name: 'idle-connections',
    unit: 'bytes per connection',
    rows,
    notes: [
      `MQTT 3.1.1 clean sessions, keepalive 900 s (no PINGREQ during the run), no subscriptions, each from its own 127.x.y.z source address; connected ${concurrency} at a time by one Node process using bare sockets (bench/lib/raw-mqtt.ts)`,
      `RSS = VmRSS from /proc/PID/status, the highest of 5 readings 200 ms apart taken ${settleMs} ms after the broker started, again ${settleMs} ms after the first half's last CONNACK and again ${settleMs} ms after the last; per connection = (after − before) ÷ connections; per additional connection = (after − halfway) ÷ the second half's connections, without what a broker grows once under the first burst`,
      'lower is better here, so the ratio column (causeway ÷ this) reads < 1 where causeway-cloud uses less; the Node brokers\' RSS includes garbage not yet collected, so their figure is an upper bound',
      `mosquitto persistence off (nothing to persist for clean sessions); causeway-cloud keeps its SQLite store open as always and runs with --limits.maxConnections ${n + 100} (its default, 10,000, refuses the rest)`,
      'the 20,000-descriptor hard limit per process on this machine (the broker and the load generator both hold one socket per connection) caps N below 20,000',
    ],
  };
}
