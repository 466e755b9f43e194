/**
 * Edge outbox drain: how long the agent takes to empty a backlog of N buffered readings (default
 * 1,000,000, as after a long outage) into a real broker, while a live stream keeps running on another
 * device, and the live stream's end-to-end latency meanwhile (reading timestamp → arrival at a
 * subscriber, one clock). Baseline in the same run: the same drain with `uplink.inflight 1`
 * (stop-and-wait: one batch published, wait for its PUBACK, then the next).
 *
 *   npm run bench -- outbox-drain [--quick] [--readings 1000000] [--live-rate 10] [--timeout 180]
 *                                 [--brokers mosquitto,causeway] [--baseline-on mosquitto]
 *
 * The backlog is written once, directly with the SqliteOutbox API, into a template store while no agent
 * runs; each case copies it and starts `dist/edge/src/main.js` on the copy (build first).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteOutbox } from '@causeway/edge/store/sqlite-outbox.js';
import { boolFlag, intFlag, listFlag } from './lib/args.js';
import { CompetitorUnavailableError, isCompetitorName, startCompetitor, type CompetitorName } from './lib/competitors.js';
import { startEdgeAgentProcess } from './lib/edge-agent-process.js';
import { Histogram } from './lib/histogram.js';
import { feedLines } from './lib/paced-feeder.js';
import { subscribeReadings } from './lib/reading-subscriber.js';
import type { BenchArgs, BenchResult, ResultRow } from './lib/result.js';

export const description = 'edge agent drains a 1M-reading backlog into a broker while a live stream runs: time to empty, live p50/p99, vs inflight 1';

const GATEWAY = 'gw-bench';
const BACKLOG_DEVICES = 16;
const LIVE_DEVICE = 'live0';
/** big enough that nothing is evicted: the benchmark is about sending, not the cap */
const MAX_BYTES = 8 * 1024 ** 3;

/** Writes `n` readings (value = sequence number) into a fresh outbox at `path`; returns seconds taken. */
async function fillBacklog(path: string, n: number): Promise<number> {
  const t0 = performance.now();
  const o = SqliteOutbox.open({ path, gateway: GATEWAY, maxBytes: MAX_BYTES, maxAgeMs: 7 * 86_400_000, commitMaxRecords: 10_000, commitIntervalMs: 1000 });
  const ts = Date.now();
  const window = 10_000;
  for (let i = 0; i < n; i += window) {
    const adds: Array<Promise<void>> = [];
    for (let j = i; j < Math.min(n, i + window); j++) {
      adds.push(o.addReading({ device: `bk${j % BACKLOG_DEVICES}`, stream: 'temp', ts: ts + Math.floor(j / 100), value: j, unit: 'C' }));
    }
    await Promise.all(adds);
  }
  o.close(); // commits, checkpoints the WAL into the main file and removes it (last connection)
  return (performance.now() - t0) / 1000;
}

interface DrainRun {
  drained: boolean;
  /** agent spawn → last backlog reading at the subscriber */
  drainS: number;
  /** agent spawn → status socket answering */
  startS: number;
  received: number;
  duplicates: number;
  live: Histogram;
  liveSent: number;
  liveLost: number;
  outboxAfter: unknown;
  link: Record<string, unknown>;
}

async function drainOnce(template: string, runDir: string, brokerUrl: string, protocolVersion: 4 | 5, n: number, liveRate: number, timeoutS: number, inflight: number | undefined): Promise<DrainRun> {
  mkdirSync(runDir);
  const storePath = join(runDir, 'outbox.db');
  copyFileSync(template, storePath);
  const seen = new Uint8Array(n);
  let received = 0;
  let duplicates = 0;
  let lastBacklogAt = 0;
  const live = new Histogram();
  const liveSeen = new Set<number>();
  let drainedAt = 0;
  const sub = await subscribeReadings(brokerUrl, `telemetry/${GATEWAY}/#`, protocolVersion, (r, at) => {
    if (r.device === LIVE_DEVICE) {
      const seq = Number(r.value);
      if (liveSeen.has(seq)) return;
      liveSeen.add(seq);
      // only readings produced while the backlog was still draining count: that is the question asked
      if (drainedAt === 0 || r.ts <= drainedAt) live.record((at - r.ts) * 1000);
      return;
    }
    const i = Number(r.value);
    if (!Number.isInteger(i) || i < 0 || i >= n) return;
    if (seen[i] === 1) {
      duplicates++;
      return;
    }
    seen[i] = 1;
    received++;
    lastBacklogAt = at;
  });
  const t0 = Date.now();
  let agent;
  try {
    agent = await startEdgeAgentProcess({ storePath, brokerUrl, gateway: GATEWAY, flags: { 'buffer.maxBytes': String(MAX_BYTES), ...(inflight === undefined ? {} : { 'uplink.inflight': String(inflight) }) } });
  } catch (err) {
    await sub.close();
    throw err;
  }
  const startS = (Date.now() - t0) / 1000;
  try {
    const feeding = feedLines(agent.stdin, (seq, now) => JSON.stringify({ device: LIVE_DEVICE, stream: 'temp', ts: now, value: seq }), {
      rate: liveRate,
      durationMs: timeoutS * 1000,
      until: () => received >= n,
    });
    // progress on stderr every 5 s, bounded by the timeout
    const progress = setInterval(() => process.stderr.write(`    ${received.toLocaleString('en-US')}/${n.toLocaleString('en-US')} backlog readings at the subscriber after ${((Date.now() - t0) / 1000).toFixed(0)} s\n`), 5000);
    const fed = await feeding;
    clearInterval(progress);
    drainedAt = received >= n ? lastBacklogAt : 0;
    // the last live readings are still on their way (group commit, batching): give them 2 s
    const settle = Date.now() + 2000;
    while (liveSeen.size < fed.sent && Date.now() < settle) await new Promise((r) => setTimeout(r, 50));
    // Acknowledged rows are deleted at the next group commit: poll (bounded) until only live residue is left.
    const tStatus = Date.now();
    let snap: { outbox?: { records?: number }; link?: Record<string, unknown>; error?: string } = {};
    do {
      snap = await agent.status().catch((err: unknown) => ({ error: String(err) }));
      if ((snap.outbox?.records ?? Infinity) <= liveRate) break;
      await new Promise((r) => setTimeout(r, 200));
    } while (Date.now() - tStatus < 5000);
    return {
      drained: received >= n,
      drainS: ((received >= n ? lastBacklogAt : Date.now()) - t0) / 1000,
      startS,
      received,
      duplicates,
      live,
      liveSent: fed.sent,
      liveLost: fed.sent - liveSeen.size,
      outboxAfter: snap.outbox?.records ?? snap.error,
      link: snap.link ?? {},
    };
  } finally {
    await agent.stop();
    await sub.close();
    rmSync(runDir, { recursive: true, force: true });
  }
}

const f1 = (s: number): string => s.toFixed(1);
const ms = (us: number): string => (Number.isNaN(us) ? 'n/a' : us >= 1e6 ? `${(us / 1e6).toFixed(2)} s` : `${Math.round(us / 1000)} ms`);

export async function run(args: BenchArgs): Promise<BenchResult> {
  const quick = boolFlag(args, 'quick');
  const n = intFlag(args, 'readings', quick ? 20_000 : 1_000_000);
  const liveRate = intFlag(args, 'live-rate', 10);
  const timeoutS = intFlag(args, 'timeout', quick ? 60 : 180);
  const brokers = listFlag(args, 'brokers', ['mosquitto', 'causeway']).filter(isCompetitorName);
  const baselineOn = listFlag(args, 'baseline-on', ['mosquitto']).filter(isCompetitorName);
  const dir = mkdtempSync(join(tmpdir(), 'causeway-bench-drain-'));
  const rows: ResultRow[] = [];
  const notes: string[] = [];
  try {
    const template = join(dir, 'template.db');
    process.stderr.write(`writing ${n.toLocaleString('en-US')} readings into a template outbox…\n`);
    const fillS = await fillBacklog(template, n);
    const mb = statSync(template).size / 1024 ** 2;
    notes.push(`backlog: ${n.toLocaleString('en-US')} readings on ${BACKLOG_DEVICES} devices (interleaved), written with SqliteOutbox.addReading in ${f1(fillS)} s (${Math.round(n / fillS).toLocaleString('en-US')} readings/s); store file ${f1(mb)} MiB; each case starts the agent on a copy`);
    let k = 0;
    for (const name of brokers) {
      const inflights: Array<number | undefined> = [undefined, ...(baselineOn.includes(name) ? [1] : [])];
      for (const inflight of inflights) {
        const ours = inflight === undefined;
        const caseLabel = `drain ${n.toLocaleString('en-US')} readings → ${name === 'causeway' ? 'causeway-cloud' : name}`;
        const contender = ours ? 'causeway-edge (uplink.inflight 8, default)' : 'causeway-edge, uplink.inflight 1 (stop-and-wait)';
        let broker;
        try {
          process.stderr.write(`starting ${name}…\n`);
          broker = await startCompetitor(name as CompetitorName);
        } catch (err) {
          const why = err instanceof CompetitorUnavailableError ? `not runnable: ${err.message}` : `failed to start: ${String(err)}`;
          rows.push({ case: caseLabel, contender, ours, skipped: why });
          continue;
        }
        try {
          process.stderr.write(`  ${contender} → ${broker.label}\n`);
          const r = await drainOnce(template, join(dir, `run${k++}`), broker.url, broker.protocolVersion, n, liveRate, timeoutS, inflight);
          const p50 = r.live.percentile(50);
          const p99 = r.live.percentile(99);
          const detail = [
            r.drained ? `drained in ${f1(r.drainS)} s` : `NOT drained within ${timeoutS} s (${r.received.toLocaleString('en-US')}/${n.toLocaleString('en-US')} arrived)`,
            `agent ready after ${f1(r.startS)} s`,
            `live ${liveRate}/s: p50 ${ms(p50)} · p99 ${ms(p99)} · max ${ms(r.live.max)} over ${r.live.count} readings${r.liveLost > 0 ? `, ${r.liveLost} not arrived` : ''}`,
            `${r.duplicates} duplicates`,
            `outbox after: ${String(r.outboxAfter)} records; batches published ${String(r.link['published'])}, acked ${String(r.link['acked'])}`,
            `broker ${broker.label}`,
          ].join('; ');
          process.stderr.write(`    ${detail}\n`);
          rows.push({ case: caseLabel, contender, ours, value: r.received / r.drainS, detail });
        } catch (err) {
          rows.push({ case: caseLabel, contender, ours, skipped: `run failed: ${err instanceof Error ? err.message : String(err)}` });
        } finally {
          await broker.stop();
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  notes.push(
    `time to empty = agent spawn (dist/edge/src/main.js on the copied store) → the last backlog reading at a QoS 1 subscriber on telemetry/${GATEWAY}/#; every backlog reading is counted once by its sequence number`,
    `live stream: ${liveRate} readings/s of device ${LIVE_DEVICE} on the agent's stdin (--input.stdin true), ts = write time; latency = ts → arrival at the subscriber (same clock), for live readings written before the drain finished; the agent commits each within buffer.commitIntervalMs (50 ms) and sends live-first (uplink.liveWindowSeconds 10)`,
    'value = backlog readings per second of the drain; the ratio is the default window (8 batches of up to 500 readings in flight) ÷ stop-and-wait on the same broker',
    'the agent, the broker and the subscriber (this process) share the machine\'s cores; a broker that cannot start reads "skipped"',
  );
  return { name: 'outbox-drain', unit: 'readings/s drained', rows, notes };
}
