/**
 * Scale-out (issue 9): stateless causeway-cloud nodes sharing one JetStream store.
 *
 *   npm run bench -- scale-out [--quick] [--connections 51000] [--nodes 3] [--per-fleet 17000]
 *                              [--connect-rate 400] [--timeout-ms 900000] [--mosquitto-connections 19000]
 *                              [--idle-nodes 0] [--parts connections,throughput] [--tp-gateways 200] [--tp-rate 50] [--tp-seconds 10]
 *
 * 1. connections: one nats-server (JetStream, file store) and N nodes (dist/cloud/src/main.js,
 *    --store.backend jetstream); idle gateways from several `causeway-sim fleet` processes, each from
 *    its own 127.x.y.z range, spread evenly over the nodes, each subscribed to its downlink. Held
 *    connections, node RSS per connection, nats-server RSS, connect time. Then ONE QoS 1 command on
 *    `cmd-all/{id}` through node 0: time until every gateway got it (and acknowledged its answer).
 *    Side by side: mosquitto holding what one process can here (≤ 19,000), the same fleet and broadcast.
 * 2. throughput: the same telemetry load (QoS 1, gateways × rate) on causeway SQLite 1 node, JetStream
 *    1 node, JetStream 2 nodes, and mosquitto; acknowledged publishes/s and ack latency.
 *
 * No process may hold more than 20,000 descriptors on the benchmark machine (soft = hard limit), which is
 * why 50,000 connections take several nodes AND several fleet processes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { boolFlag, intFlag, listFlag } from './lib/args.js';
import { formatBytes, rssBytes } from './lib/broker-footprint.js';
import { startCauseway, startMosquitto, type RunningBroker } from './lib/competitors.js';
import { startFleetProcess } from './lib/fleet-process.js';
import { broadcastAll, holdFleet, type BroadcastResult, type HeldFleet } from './lib/held-fleet.js';
import { startJetStreamCluster } from './lib/jetstream-cluster.js';
import { describeStreams, natsSummary } from './lib/nats-monitor.js';
import type { BenchArgs, BenchResult, ResultRow } from './lib/result.js';

export const description = '50,000+ idle gateways on N causeway-cloud nodes over JetStream (RSS/connection, broadcast to all) vs mosquitto; throughput SQLite vs JetStream 1 and 2 nodes';

const fmt = (n: number): string => n.toLocaleString('en-US');
const secs = (ms: number): string => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'n/a');

/** The highest of 5 readings 200 ms apart after `settleMs`: a Node process's RSS moves with its GC. */
async function steadyRss(pids: readonly number[], settleMs: number): Promise<number[]> {
  await sleep(settleMs);
  const max = pids.map(() => 0);
  for (let i = 0; i < 5; i++) {
    pids.forEach((p, k) => (max[k] = Math.max(max[k]!, rssBytes(p))));
    await sleep(200);
  }
  return max;
}

interface HoldCase {
  label: string;
  brokers: RunningBroker[];
  /** pids whose RSS counts as the deployment's (causeway: the nodes; nats-server is reported apart) */
  extraPids?: number[];
  /** the first `idle` brokers get no gateways (they still serve the broadcast's publisher) */
  idle?: number;
}

interface Held {
  fleet: HeldFleet;
  held: number;
  before: number[];
  after: number[];
  extraBefore: number[];
  extraAfter: number[];
  fleetRss: number;
  broadcast?: BroadcastResult;
  broadcastError?: string;
}

async function holdAndBroadcast(c: HoldCase, o: { total: number; perFleet: number; connectRate: number; timeoutMs: number; settleMs: number; idPrefix: string }): Promise<Held> {
  const pids = c.brokers.map((b) => b.pid);
  const extra = c.extraPids ?? [];
  const [before, extraBefore] = [await steadyRss(pids, o.settleMs), extra.map(rssBytes)];
  process.stderr.write(`  ${c.label}: ${fmt(o.total)} gateways from ${Math.ceil(o.total / o.perFleet)} fleet processes, ${o.connectRate}/s\n`);
  const fleet = await holdFleet({ urls: c.brokers.slice(c.idle ?? 0).map((b) => b.url), total: o.total, perProcess: o.perFleet, connectRatePerSec: o.connectRate, idPrefix: o.idPrefix, timeoutMs: o.timeoutMs, brokerPids: [...pids, ...extra] });
  const after = await steadyRss(pids, o.settleMs);
  const held = fleet.held();
  const out: Held = { fleet, held, before, after, extraBefore, extraAfter: extra.map(rssBytes), fleetRss: fleet.fleets.reduce((s, f) => s + (f.latest()?.rssBytes ?? 0), 0) };
  process.stderr.write(`    held ${fmt(held)}/${fmt(o.total)} in ${secs(fleet.connectMs)}, all online by ${secs(fleet.onlineMs)}${fleet.reason === undefined ? '' : ` (${fleet.reason})`}; RSS ${before.map(formatBytes).join(', ')} → ${after.map(formatBytes).join(', ')}\n`);
  if (held > 0) {
    try {
      out.broadcast = await broadcastAll({ port: c.brokers[0]!.port, fleets: fleet.fleets, expected: held, timeoutMs: Math.max(60_000, held * 5) });
      const b = out.broadcast;
      process.stderr.write(`    broadcast: ${fmt(b.reached)}/${fmt(b.expected)} got it, all in ${secs(b.allMs)}, the last after ${secs(b.lastMs)} (p50 ${b.p50Ms} ms, p99 ${b.p99Ms} ms), ${fmt(b.answered)} answers acknowledged${Number.isFinite(b.answeredMs) ? ` by ${secs(b.answeredMs)}` : ''}\n`);
    } catch (err) {
      out.broadcastError = err instanceof Error ? err.message : String(err);
    }
  }
  return out;
}

function holdRows(c: HoldCase, h: Held, cases: { perConn: string; held: string; broadcast: string }, ours: boolean): ResultRow[] {
  const grown = h.after.reduce((s, a, k) => s + a - h.before[k]!, 0);
  const extraGrown = h.extraAfter.reduce((s, a, k) => s + a - h.extraBefore[k]!, 0);
  const per = h.held > 0 ? grown / h.held : NaN;
  const nodes = c.brokers.length;
  const rssDetail = `RSS ${nodes > 1 ? 'per node ' : ''}${h.before.map(formatBytes).join(', ')} → ${h.after.map(formatBytes).join(', ')}` + (h.extraAfter.length > 0 ? `; nats-server ${h.extraBefore.map(formatBytes).join(', ')} → ${h.extraAfter.map(formatBytes).join(', ')} (${fmt(Math.round(extraGrown / Math.max(1, h.held)))} B/connection more)` : '');
  const rows: ResultRow[] = [
    { case: cases.held, contender: c.label, ours, value: h.held, detail: `${h.fleet.complete ? 'all' : 'NOT all'} of ${fmt(h.fleet.total)} connected in ${secs(h.fleet.connectMs)}${h.fleet.complete ? `, subscribed and their retained status stored by ${secs(h.fleet.onlineMs)}` : ''}${h.fleet.reason === undefined ? '' : ` — ${h.fleet.reason}`}; ${h.fleet.fleets.length} fleet processes, ${formatBytes(h.fleetRss)} RSS together` },
    { case: cases.perConn, contender: c.label, ours, value: per, detail: rssDetail },
  ];
  const b = h.broadcast;
  if (b !== undefined && Number.isFinite(b.allMs) && b.allMs > 0) {
    rows.push({ case: cases.broadcast, contender: c.label, ours, value: (b.reached * 1000) / b.allMs, detail: `${fmt(b.reached)} gateways got it ${secs(b.allMs)} after it was issued (PUBACK to the publisher ${b.pubackMs} ms; per gateway p50 ${b.p50Ms} ms, p99 ${b.p99Ms} ms); ${fmt(b.answered)} QoS 1 answers acknowledged${Number.isFinite(b.answeredMs) ? ` by ≈${secs(b.answeredMs)}` : ''}` });
  } else if (b !== undefined && b.reached > 0 && Number.isFinite(b.lastMs) && b.lastMs > 0) {
    // Not every held gateway got it (one that reconnected around the broadcast, clean session, misses it): the rate over those that did.
    rows.push({ case: cases.broadcast, contender: c.label, ours, value: (b.reached * 1000) / b.lastMs, detail: `NOT all: ${fmt(b.reached)} of ${fmt(b.expected)} gateways got it, the last ${secs(b.lastMs)} after it was issued (PUBACK to the publisher ${b.pubackMs} ms; per gateway p50 ${b.p50Ms} ms, p99 ${b.p99Ms} ms); ${fmt(b.answered)} QoS 1 answers acknowledged${Number.isFinite(b.answeredMs) ? ` by ≈${secs(b.answeredMs)}` : ''}` });
  } else {
    rows.push({ case: cases.broadcast, contender: c.label, ours, skipped: h.broadcastError ?? (b === undefined ? 'nothing held' : `${fmt(b.reached)}/${fmt(b.expected)} got it before the timeout`) });
  }
  return rows;
}

async function connectionsPart(o: { n: number; nodes: number; idleNodes: number; perFleet: number; connectRate: number; timeoutMs: number; settleMs: number; mosquittoN: number }): Promise<{ rows: ResultRow[]; notes: string[] }> {
  const cases = {
    held: 'connections held at once (higher is better)',
    perConn: 'idle gateway, bytes of RSS per connection (lower is better)',
    broadcast: 'one QoS 1 broadcast to every held gateway, gateways reached per second (higher is better)',
    replicated: 'RSS growth of a node holding none of the gateways, bytes per gateway held elsewhere (lower is better)',
  };
  const rows: ResultRow[] = [];
  const notes: string[] = [];
  const stamp = Date.now().toString(36);
  process.stderr.write(`starting nats-server and ${o.nodes} causeway-cloud nodes on JetStream…\n`);
  // As many as a process may hold here (20,000 descriptors, a few kept for files and NATS): a gateway that
  // fails to connect tries the next node, so the spread is not exactly even, and a node at its limit would
  // refuse the broadcaster.
  const perNode = 19_500;
  const cluster = await startJetStreamCluster({ nodes: o.nodes, maxConnectionsPerNode: perNode, prefix: `sc${stamp}` });
  const label = `${cluster.nodes[0]!.label.replace(/ \(.*\)$/, '')} × ${o.nodes} nodes${o.idleNodes > 0 ? ` (${o.idleNodes} holding none)` : ''} on ${cluster.nats.label}`;
  let held: Held | undefined;
  try {
    held = await holdAndBroadcast({ label, brokers: cluster.nodes, extraPids: [cluster.nats.pid], idle: o.idleNodes }, { total: o.n, perFleet: o.perFleet, connectRate: o.connectRate, timeoutMs: o.timeoutMs, settleMs: o.settleMs, idPrefix: `c${stamp}-` });
    rows.push(...holdRows({ label, brokers: cluster.nodes }, held, cases, true));
    if (o.idleNodes > 0 && held.held > 0) {
      // What every node keeps about every gateway of the cluster (log index, wildcard filters, retained topics).
      const grown = held.after.slice(0, o.idleNodes).map((a, k) => a - held!.before[k]!);
      const per = grown.reduce((x, y) => x + y, 0) / o.idleNodes / held.held;
      rows.push({ case: cases.replicated, contender: label, ours: true, value: per, detail: `node${o.idleNodes > 1 ? 's' : ''} with no gateway: RSS ${grown.map(formatBytes).join(', ')} more after ${fmt(held.held)} gateways connected to the others` });
    }
    const js = cluster.nats.natsMonitorUrl === undefined ? undefined : await natsSummary(cluster.nats.natsMonitorUrl);
    if (js !== undefined) {
      const line = `nats-server after the hold and the broadcast: RSS ${formatBytes(rssBytes(cluster.nats.pid))} (/varz mem ${formatBytes(js.memBytes)}), ${js.connections} client connections; ${describeStreams(js)}`;
      process.stderr.write(`    ${line}\n`);
      notes.push(line);
    }
    if (!held.fleet.complete) notes.push(`causeway did not hold all ${fmt(o.n)}: ${held.fleet.reason ?? '?'}; last node output: ${cluster.nodes.map((n) => n.output().trim().split('\n').slice(-2).join(' / ')).join(' | ')}`);
  } finally {
    // nodes first (they close their connections), then the fleets, whose gateways would otherwise retry
    await cluster.stop();
    await held?.fleet.kill();
  }
  process.stderr.write('starting mosquitto…\n');
  let mosq: RunningBroker | undefined;
  let mheld: Held | undefined;
  try {
    mosq = await startMosquitto({ persistence: false, mosquittoConfig: ['max_queued_messages 0'] });
    mheld = await holdAndBroadcast({ label: mosq.label, brokers: [mosq] }, { total: o.mosquittoN, perFleet: o.perFleet, connectRate: o.connectRate, timeoutMs: o.timeoutMs, settleMs: o.settleMs, idPrefix: `m${stamp}-` });
    rows.push(...holdRows({ label: mosq.label, brokers: [mosq] }, mheld, cases, false));
  } catch (err) {
    rows.push({ case: cases.held, contender: 'mosquitto', ours: false, skipped: err instanceof Error ? err.message : String(err) });
  } finally {
    await mosq?.stop();
    await mheld?.fleet.kill();
  }
  notes.push(
    `connections: idle gateways (causeway-sim fleet, MQTT 3.1.1 clean sessions, keepalive 60 s, each from its own 127.x.y.z) from ${Math.ceil(o.n / o.perFleet)} child processes of ≤ ${fmt(o.perFleet)} each, gateway i → node i mod ${o.nodes}; on connect each publishes its retained status (QoS 1, with a will) and subscribes to cmd/{gw}/+/+, cmd-all/+ and config/{gw}, as causeway-edge does; anonymous (admin) access, so no registry writes`,
    `mosquitto holds at most ${fmt(o.mosquittoN)} here: one process, 20,000 descriptors (soft = hard limit on this machine, not raisable) — it cannot hold 50,000 in one process either; causeway reaches 50,000+ only as several nodes, which is the point of the scale-out`,
    `RSS per connection = Σ over the broker processes of (RSS after − RSS before) ÷ held, each the highest of 5 readings 200 ms apart ${o.settleMs} ms after start / after the last connect; nats-server's growth is in the detail, not in the figure; Node RSS includes garbage not yet collected (an upper bound)`,
    'broadcast: ONE command published QoS 1 on cmd-all/{id} through node 0 (the others get it by the cross-node notify and read it from the log); "all in" = its issuedAt → the last gateway received it (wall clock of the same machine); every gateway then answers with a QoS 1 command-result, stored in the log',
    'ratio column: causeway ÷ this; "held" and "reached per second" are higher-is-better, bytes per connection lower-is-better (< 1 favours causeway)',
  );
  return { rows, notes };
}

async function throughputPart(o: { gateways: number; rateHz: number; seconds: number; brokers: readonly string[] }): Promise<{ rows: ResultRow[]; notes: string[] }> {
  const offered = o.gateways * o.rateHz;
  const label = `QoS 1 telemetry, ${fmt(o.gateways)} gateways × ${o.rateHz} Hz = ${fmt(offered)}/s offered, acknowledged publishes/s (higher is better)`;
  const rows: ResultRow[] = [];
  const stamp = Date.now().toString(36);
  let offset = 0;
  for (const which of o.brokers) {
    const ours = which === 'js2';
    const stops: Array<() => Promise<void>> = [];
    let contender = which;
    try {
      process.stderr.write(`throughput: ${which}…\n`);
      let urls: string[];
      if (which === 'sqlite') {
        const b = await startCauseway({});
        stops.push(() => b.stop());
        urls = [b.url];
        contender = `${b.label}, 1 node`;
      } else if (which === 'js1' || which === 'js2') {
        const c = await startJetStreamCluster({ nodes: which === 'js1' ? 1 : 2, maxConnectionsPerNode: o.gateways + 1000, prefix: `tp${which}${stamp}` });
        stops.push(() => c.stop());
        urls = c.urls;
        contender = `${c.nodes[0]!.label.replace(/ \(.*\)$/, '')} (jetstream store), ${c.nodes.length} node${c.nodes.length > 1 ? 's' : ''}`;
      } else if (which === 'mosquitto') {
        // persistence on, as for the durable contenders; mosquitto still acknowledges before any fsync
        const b = await startMosquitto({ persistence: true });
        stops.push(() => b.stop());
        urls = [b.url];
        contender = b.label;
      } else throw new Error(`--tp-brokers: sqlite, js1, js2 or mosquitto, got ${which}`);
      const f = startFleetProcess({ urls, gateways: o.gateways, rateHz: o.rateHz, idPrefix: `t${which}${stamp}-`, addressOffset: offset, connectRatePerSec: 1000, durationS: o.seconds, connectTimeoutS: 60 });
      offset += o.gateways;
      stops.push(() => f.kill());
      const timer = setTimeout(() => void f.kill(), (o.seconds + 120) * 1000);
      const r = await f.done;
      clearTimeout(timer);
      if (r === undefined || f.connectedAt() === undefined) throw new Error(`fleet did not finish: ${f.output().trim().split('\n').slice(-3).join(' / ')}`);
      process.stderr.write(`    ${fmt(r.ackedPerSec)} acked/s, ack p50 ${r.ackLatencyMs.p50} ms, p99 ${r.ackLatencyMs.p99} ms\n`);
      rows.push({ case: label, contender, ours, value: r.ackedPerSec, detail: `ack latency p50 ${r.ackLatencyMs.p50} ms, p99 ${r.ackLatencyMs.p99} ms; ${fmt(r.publishErrors)} publish errors, ${fmt(r.reconnects)} reconnects over ${secs(r.elapsedMs)}` });
    } catch (err) {
      rows.push({ case: label, contender, ours, skipped: err instanceof Error ? err.message : String(err) });
    } finally {
      for (const s of stops.reverse()) await s();
    }
  }
  return {
    rows,
    notes: [
      `throughput: one causeway-sim fleet process, ${fmt(o.gateways)} gateways at ${o.rateHz} Hz each, QoS 1; acknowledged publishes/s over ${o.seconds} s after every gateway connected; on 2 nodes gateway i publishes to node i mod 2; every contender fresh (a new stream per JetStream case, one nats-server each); the load generator, nats-server and the nodes share the same 2 cores, so a second node cannot add CPU here (docs/scale-out.md)`,
    ],
  };
}

export async function run(args: BenchArgs): Promise<BenchResult> {
  const quick = boolFlag(args, 'quick');
  const n = intFlag(args, 'connections', quick ? 3000 : 51_000);
  const nodes = intFlag(args, 'nodes', quick ? 2 : 3);
  const perFleet = intFlag(args, 'per-fleet', quick ? 1500 : 17_000);
  if (intFlag(args, 'idle-nodes', 0) >= nodes) throw new Error('--idle-nodes must leave at least one node to hold the gateways');
  if (perFleet > 19_000) throw new Error('--per-fleet must be ≤ 19,000: one process may hold 20,000 descriptors here');
  const parts = listFlag(args, 'parts', ['connections', 'throughput']);
  const rows: ResultRow[] = [];
  const notes: string[] = [];
  if (parts.includes('connections')) {
    const r = await connectionsPart({
      n,
      nodes,
      idleNodes: intFlag(args, 'idle-nodes', 0),
      perFleet,
      connectRate: intFlag(args, 'connect-rate', quick ? 1000 : 400),
      timeoutMs: intFlag(args, 'timeout-ms', quick ? 90_000 : 900_000),
      settleMs: intFlag(args, 'settle-ms', quick ? 1500 : 5000),
      mosquittoN: intFlag(args, 'mosquitto-connections', Math.min(n, 19_000)),
    });
    rows.push(...r.rows);
    notes.push(...r.notes);
  }
  if (parts.includes('throughput')) {
    const r = await throughputPart({
      gateways: intFlag(args, 'tp-gateways', quick ? 100 : 200),
      rateHz: intFlag(args, 'tp-rate', quick ? 20 : 50),
      seconds: intFlag(args, 'tp-seconds', quick ? 3 : 10),
      brokers: listFlag(args, 'tp-brokers', ['sqlite', 'js1', 'js2', 'mosquitto']),
    });
    rows.push(...r.rows);
    notes.push(...r.notes);
  }
  return { name: 'scale-out', unit: 'figure (unit in the case)', rows, notes };
}
