/**
 * Broadcast to offline sessions (issue 3): N persistent sessions (MQTT 3.1.1, clean=false), each
 * subscribed at QoS 1 to `cmd-all/+` and then disconnected; then ONE 1 KB QoS 1 broadcast on
 * `cmd-all/{id}`. Measured: bytes the broker adds to disk for that one message, and the time until its
 * PUBACK; the session setup is timed separately. causeway-cloud stores the message once in its log and
 * each session only keeps an offset, so its cost should not grow with N; mosquitto (persistence on)
 * queues a reference per client. A sample of sessions then reconnects to prove the message is there.
 *
 *   npm run bench -- broadcast-offline [--quick] [--sessions 100000] [--concurrency 200]
 *                                      [--sample 20] [--setup-ms 900000] [--brokers causeway,mosquitto]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sourceAddress } from '@causeway/sim/fleet/source-address.js';
import { boolFlag, intFlag, listFlag } from './lib/args.js';
import { CompetitorUnavailableError, isCompetitorName, startCompetitor, type CompetitorName, type RunningBroker } from './lib/competitors.js';
import { diskUsage, formatBytes, sqliteUsedBytes } from './lib/broker-footprint.js';
import { forEachConcurrent, rawConnect } from './lib/raw-mqtt.js';
import type { BenchArgs, BenchResult, ResultRow } from './lib/result.js';

export const description = 'N offline persistent sessions on cmd-all/+, one 1 KB broadcast: bytes stored and PUBACK time, causeway-cloud vs mosquitto';

interface Measured {
  sessions: number;
  setupMs: number;
  storeBefore: number;
  storeAfter: number;
  ackMs: number;
  sampleGot: number;
  sample: number;
  files: string;
  grewIn: string;
}

/** Waits until the directory's apparent size stops changing for `quietMs` (bounded by `maxMs`). */
async function settledSize(dir: string, quietMs: number, maxMs: number): Promise<number> {
  const deadline = Date.now() + maxMs;
  let last = diskUsage(dir).apparent;
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    await sleep(200);
    const now = diskUsage(dir).apparent;
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= quietMs) break;
  }
  return last;
}

/**
 * Bytes the broker holds for its state. mosquitto writes its persistence file only on autosave, exit or
 * SIGUSR1 (mosquitto(8)): ask for it, then read the file size. causeway-cloud: bytes SQLite uses in its
 * databases (dbstat), which is exact where file sizes only move by whole pages at checkpoints.
 */
async function flushed(broker: RunningBroker): Promise<{ total: number; byTable: Record<string, number> }> {
  if (broker.name === 'mosquitto') process.kill(broker.pid, 'SIGUSR1');
  const size = await settledSize(broker.dir, 1500, 120_000);
  return broker.name === 'causeway' ? sqliteUsedBytes(broker.dir) : { total: size, byTable: {} };
}

/** "log:messages +1.2 kB, …": the tables and indexes that grew, largest first. */
function growth(before: Record<string, number>, after: Record<string, number>): string {
  return Object.entries(after)
    .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
    .filter(([, d]) => d !== 0)
    .sort((a, b) => b[1] - a[1])
    .map(([k, d]) => `${k} ${d > 0 ? '+' : ''}${d} B`)
    .join(', ');
}

async function measure(broker: RunningBroker, n: number, concurrency: number, sampleSize: number, setupMs: number): Promise<Measured> {
  const host = '127.0.0.1';
  const prefix = `bo-${process.pid}`;
  const t0 = performance.now();
  let lastLog = Date.now();
  let made = 0;
  // Each session gets its own source address: N closed connections would otherwise leave N sockets in
  // TIME_WAIT on one (source, destination) pair and run out of ephemeral ports (~28k).
  const sessions = await forEachConcurrent(n, concurrency, async (i) => {
    const c = await rawConnect({ host, port: broker.port, localAddress: sourceAddress(i), clientId: `${prefix}-${i}`, clean: false, protocolVersion: 4 });
    try {
      await c.subscribe('cmd-all/+', 1);
    } finally {
      await c.disconnect();
    }
    made++;
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      process.stderr.write(`    ${made.toLocaleString('en-US')} sessions in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
    }
  }, Date.now() + setupMs);
  const setup = performance.now() - t0;
  process.stderr.write(`    ${sessions.toLocaleString('en-US')} sessions set up in ${(setup / 1000).toFixed(1)} s; measuring the store…\n`);
  const before = await flushed(broker);

  const pub = await rawConnect({ host, port: broker.port, clientId: `${prefix}-pub`, clean: true, protocolVersion: 4 });
  const payload = Buffer.alloc(1024, 0x61);
  const tPub = performance.now();
  await pub.publish(`cmd-all/bench-${Date.now()}`, payload, 1);
  const ackMs = performance.now() - tPub;
  await pub.disconnect();
  const after = await flushed(broker);
  const files = Object.entries(diskUsage(broker.dir).files).filter(([f]) => !f.endsWith('.conf')).map(([f, b]) => `${f} ${formatBytes(b)}`).join(', ');

  // Proof the broadcast is queued for the offline sessions: a spread sample reconnects and must get it.
  const sample = Math.min(sampleSize, sessions);
  let sampleGot = 0;
  await forEachConcurrent(sample, 20, async (k) => {
    const i = Math.floor((k * sessions) / sample);
    let arrived: () => void = () => undefined;
    const got = new Promise<boolean>((res) => {
      const timer = setTimeout(() => res(false), 10_000);
      arrived = () => {
        clearTimeout(timer);
        res(true);
      };
    });
    const c = await rawConnect({
      host,
      port: broker.port,
      localAddress: sourceAddress(n + i),
      clientId: `${prefix}-${i}`,
      clean: false,
      protocolVersion: 4,
      onMessage: (_t, p) => {
        if (p.length === payload.length) arrived();
      },
    });
    await got;
    await c.disconnect();
    if (await got) sampleGot++;
  });
  return { sessions, setupMs: setup, storeBefore: before.total, storeAfter: after.total, ackMs, sampleGot, sample, files, grewIn: growth(before.byTable, after.byTable) };
}

export async function run(args: BenchArgs): Promise<BenchResult> {
  const quick = boolFlag(args, 'quick');
  const n = intFlag(args, 'sessions', quick ? 2000 : 100_000);
  const concurrency = intFlag(args, 'concurrency', 200);
  const sampleSize = intFlag(args, 'sample', 20);
  const setupMs = intFlag(args, 'setup-ms', quick ? 120_000 : 900_000);
  const brokers = listFlag(args, 'brokers', ['causeway', 'mosquitto']).map((b) => {
    if (!isCompetitorName(b) || (b !== 'causeway' && b !== 'mosquitto')) throw new Error(`--brokers: causeway and/or mosquitto, got ${b}`);
    return b as CompetitorName;
  });
  const label = (m: Measured | undefined): string => `${(m?.sessions ?? n).toLocaleString('en-US')} sessions`;
  const rows: ResultRow[] = [];
  const notes: string[] = [];
  for (const name of brokers) {
    const ours = name === 'causeway';
    let broker: RunningBroker;
    try {
      process.stderr.write(`starting ${name}…\n`);
      broker = await startCompetitor(name, { persistence: true });
    } catch (err) {
      const why = err instanceof CompetitorUnavailableError ? err.message : String(err);
      rows.push({ case: `bytes stored for 1 broadcast, ${label(undefined)} (lower is better)`, contender: name, ours, skipped: why });
      continue;
    }
    try {
      const m = await measure(broker, n, concurrency, sampleSize, setupMs);
      const grew = m.storeAfter - m.storeBefore;
      const ok = `sample ${m.sampleGot}/${m.sample} reconnected sessions got it`;
      rows.push({ case: `bytes stored for 1 broadcast, ${label(m)} (lower is better)`, contender: broker.label, ours, value: grew, detail: `store ${formatBytes(m.storeBefore)} → ${formatBytes(m.storeAfter)} (${(grew / m.sessions).toFixed(1)} B/session); ${ok}` });
      rows.push({ case: `publish → PUBACK ms, ${label(m)} (lower is better)`, contender: broker.label, ours, value: m.ackMs, detail: ok });
      rows.push({ case: `session setup, sessions/s, ${label(m)}`, contender: broker.label, ours, value: m.sessions / (m.setupMs / 1000), detail: `${(m.setupMs / 1000).toFixed(1)} s for connect + SUBSCRIBE + DISCONNECT × ${m.sessions.toLocaleString('en-US')}, ${concurrency} at a time; store after setup ${formatBytes(m.storeBefore)}` });
      notes.push(`${broker.label} files after the broadcast: ${m.files}${m.grewIn === '' ? '' : `; SQLite growth by table/index: ${m.grewIn}`}`);
      if (m.sessions < n) notes.push(`${broker.label}: only ${m.sessions} of ${n} sessions were set up within --setup-ms ${setupMs}`);
    } catch (err) {
      rows.push({ case: `bytes stored for 1 broadcast, ${label(undefined)} (lower is better)`, contender: broker.label, ours, skipped: `run failed: ${err instanceof Error ? err.message : String(err)}` });
    } finally {
      await broker.stop();
    }
  }
  return {
    name: 'broadcast-offline',
    unit: 'figure (unit in the case)',
    rows,
    notes: [
      'MQTT 3.1.1 persistent sessions (clean=false), each subscribed at QoS 1 to cmd-all/+ then disconnected (DISCONNECT); one 1,024-byte QoS 1 PUBLISH to cmd-all/{id} from a clean publisher; each session has its own 127.x.y.z source address',
      'bytes stored = after the broadcast minus before, each read once the data dir stopped changing for 1.5 s: mosquitto, the size of mosquitto.db written on SIGUSR1 (it writes its db only on autosave, exit or SIGUSR1); causeway-cloud, the bytes its SQLite databases use (SUM(pgsize − unused) over dbstat, WAL included): its file sizes move only by whole pages at checkpoints',
      'for the two "lower is better" cases the ratio column reads causeway ÷ mosquitto, so < 1 favours causeway',
      'mosquitto acknowledges a QoS 1 PUBLISH before anything reaches disk (its db is written on autosave); causeway-cloud acknowledges after the SQLite commit, so their PUBACK times are not the same promise',
      ...notes,
    ],
  };
}
