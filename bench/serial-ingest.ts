/**
 * Edge ingest throughput on one core: bytes as a serial port delivers them (small chunks) → line framer
 * → protocol parser → stream mapping → rule pipeline → a sink that resolves at once. Reports readings/s
 * and the CPU time per 1,000 readings (user + system, from process.cpuUsage), the figure that sizes a
 * Raspberry-Pi-class gateway. No competitor: the row is Causeway's alone.
 *
 *   npm run bench -- serial-ingest [--quick] [--ms 2000] [--chunk 64] [--ports 16] [--hz 100]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@causeway/shared';
import { SqliteOutbox } from '@causeway/edge/store/sqlite-outbox.js';
import { newIngestCounters, newSourceCounters } from '@causeway/edge/ingest/counters.js';
import { createFrameHandler } from '@causeway/edge/ingest/frame-handler.js';
import { createLineFramer } from '@causeway/edge/ingest/framing/line-framer.js';
import { createProtocol, type ProtocolConfig } from '@causeway/edge/ingest/protocols/create-protocol.js';
import type { UplinkSink } from '@causeway/edge/ingest/sink.js';
import { createStreamProcessor, type StreamRulesConfig } from '@causeway/edge/ingest/stream-processor.js';
import { PROFILES } from '@causeway/sim/profiles/index.js';
import { boolFlag, intFlag } from './lib/args.js';
import type { BenchArgs, BenchResult, ResultRow } from './lib/result.js';

export const description = 'edge ingest: serial bytes → framer → parser → rules → sink, readings/s and CPU per 1,000 readings on one core';

interface Case {
  name: string;
  profile: string;
  protocol: ProtocolConfig;
  rules: StreamRulesConfig[];
}

const CASES: Case[] = [
  { name: 'thermometer JSON, no rules', profile: 'thermometer', protocol: { type: 'json' }, rules: [] },
  {
    name: 'thermometer JSON, filter+scale+deadband+threshold+window',
    profile: 'thermometer',
    protocol: { type: 'json' },
    rules: [
      {
        stream: 'temp',
        pipeline: [
          { type: 'filter', dropIf: { op: 'outside', min: -60, max: 150 } },
          { type: 'scale', factor: 1.8, offset: 32, decimals: 2 },
          { type: 'deadband', absolute: 0, heartbeatMs: 60_000 },
          { type: 'threshold', high: 75, hysteresis: 1 },
          { type: 'window', ms: 60_000 },
        ],
      },
    ],
  },
  { name: 'vibration key=value, min-interval', profile: 'vibration', protocol: { type: 'kv' }, rules: [{ stream: 'rms', pipeline: [{ type: 'min-interval', ms: 1 }] }] },
  { name: 'GPS NMEA GGA+RMC (checksums verified)', profile: 'gps', protocol: { type: 'nmea' }, rules: [] },
];

async function runCase(c: Case, ms: number, chunk: number): Promise<ResultRow> {
  const profile = PROFILES[c.profile]!;
  const st = { intervalMs: 10, relay: false, seq: 0 };
  const lines: string[] = [];
  for (let s = 0; s < 2000; s++) lines.push(...profile.lines(s, 1, 0.5, st));
  const bytes = Buffer.from(lines.join('\n') + '\n');
  let readings = 0;
  const sink: UplinkSink = {
    addReading: () => {
      readings++;
      return Promise.resolve();
    },
    addEvent: () => Promise.resolve(),
  };
  const counters = newIngestCounters();
  const src = newSourceCounters();
  const processor = createStreamProcessor({ rules: c.rules, sink, counters, logger: silentLogger });
  let t = 0;
  const handle = createFrameHandler({ device: 'd', protocol: createProtocol(c.protocol, 'bench'), processor, counters: src, now: () => (t += 10) });
  const framer = createLineFramer({ maxLength: 1024 });
  const pass = async (): Promise<void> => {
    for (let i = 0; i < bytes.length; i += chunk) {
      const out = framer.push(bytes.subarray(i, i + chunk));
      for (const f of out.frames) await handle(f);
    }
  };
  await pass(); // warm-up
  readings = 0;
  const frames0 = src.frames;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let passes = 0;
  while (performance.now() - start < ms && passes < 10_000) {
    await pass();
    passes++;
  }
  const wall = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuUsPer1000 = ((cpu.user + cpu.system) / readings) * 1000;
  const drops = Object.values(src.drops).reduce((a, b) => a + (b ?? 0), 0);
  if (drops > 0) throw new Error(`${c.name}: ${drops} frames dropped (${JSON.stringify(src.drops)}); the benchmark input must be clean`);
  return {
    case: c.name,
    contender: 'causeway-edge ingest',
    ours: true,
    value: Math.round(readings / wall),
    detail: `${Math.round(cpuUsPer1000)} µs CPU per 1,000 readings; ${Math.round((src.frames - frames0) / wall)} frames/s; ${chunk}-byte chunks`,
  };
}

/**
 * Many ports at once, the gateway's real shape: `ports` serial streams at `hz` each, paced in real time,
 * through framer, parser and rules into the real SQLite outbox (group commit, synchronous=FULL). Reports
 * the readings/s sustained, the CPU share of one core, and the commit latency p99 (what a device waiting
 * for its ACK sees).
 */
async function runPorts(ports: number, hz: number, seconds: number): Promise<ResultRow> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-bench-ports-'));
  const outbox = SqliteOutbox.open({ path: join(dir, 'outbox.db'), gateway: 'gw-bench', maxBytes: 256 * 1024 * 1024, maxAgeMs: 86_400_000, logger: silentLogger });
  try {
    const profile = PROFILES.thermometer!;
    const st = { intervalMs: 10, relay: false, seq: 0 };
    const counters = newIngestCounters();
    const processor = createStreamProcessor({ rules: [{ stream: 'temp', pipeline: [{ type: 'scale', factor: 1.8, offset: 32, decimals: 2 }] }], sink: outbox, counters, logger: silentLogger });
    const handlers = Array.from({ length: ports }, (_, i) =>
      createFrameHandler({ device: `port-${i}`, protocol: createProtocol({ type: 'json' }, 'bench'), processor, counters: newSourceCounters() }),
    );
    const latencies: number[] = [];
    const inflight = new Set<Promise<unknown>>();
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    let seq = 0;
    let readings = 0;
    for (let tick = 0; tick < seconds * hz; tick++) {
      const due = start + (tick * 1000) / hz;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      for (const h of handlers) {
        const line = Buffer.from(profile.lines(seq++, 1, 0.5, st)[0]!);
        const t0 = performance.now();
        const p = h(line).then(() => {
          latencies.push(performance.now() - t0);
          readings++;
        });
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
      }
    }
    await Promise.all(inflight);
    const wall = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.max(0, Math.ceil(latencies.length * 0.99) - 1)] ?? 0;
    return {
      case: `${ports} ports × ${hz} Hz into the SQLite outbox (paced, ${seconds} s)`,
      contender: 'causeway-edge ingest',
      ours: true,
      value: Math.round(readings / wall),
      detail: `${(((cpu.user + cpu.system) / 1e6 / wall) * 100).toFixed(1)} % of one core; commit latency p99 ${p99.toFixed(0)} ms; ${readings} readings committed`,
    };
  } finally {
    outbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(args: BenchArgs): Promise<BenchResult> {
  const quick = boolFlag(args, 'quick');
  const ms = intFlag(args, 'ms', quick ? 300 : 2000);
  const chunk = intFlag(args, 'chunk', 64);
  const rows: ResultRow[] = [];
  for (const c of CASES) rows.push(await runCase(c, ms, chunk));
  rows.push(await runPorts(intFlag(args, 'ports', 16), intFlag(args, 'hz', 100), quick ? 2 : 5));
  return {
    name: 'serial-ingest',
    unit: 'readings/s',
    rows,
    notes: [`${ms} ms per case on one core (single event loop), sink resolving immediately (no SQLite); input from the causeway-sim profiles`],
  };
}
