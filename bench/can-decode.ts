/**
 * CAN frames decoded per second on one core: the agent's real CAN source (edge/src/ingest/can/: the
 * serial source, SLCAN framer and parser, J1939/DBC decoders, per-signal pacing, stream processor) fed
 * SLCAN lines from `causeway-sim`'s vehicle (J1939 EEC1/CCVS1/DD and the DBC battery message) through an
 * in-memory port, into a sink that resolves at once. No tty: the figure is the agent's cost per frame, to
 * set against a bus's rate (a loaded 500 kbit/s bus carries ~4,000 frames/s) and the anchors' users'
 * "CAN passed through as raw bytes only" (issue 19).
 *
 *   npm run bench -- can-decode [--quick] [--seconds 5]
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@causeway/shared';
import { encodeSlcanFrame } from '@causeway/shared/can/index.js';
import { loadDbc } from '@causeway/edge/ingest/can/can-config.js';
import type { CanSource } from '@causeway/edge/ingest/can/can-config.js';
import { startCanBus } from '@causeway/edge/ingest/can/can-source.js';
import { newIngestCounters, sourceCounters } from '@causeway/edge/ingest/counters.js';
import type { PortLike } from '@causeway/edge/ingest/serial/serial-source.js';
import type { UplinkSink } from '@causeway/edge/ingest/sink.js';
import { createStreamProcessor } from '@causeway/edge/ingest/stream-processor.js';
import { BATTERY_DBC, VEHICLE_PROFILES, vehicleFrames } from '@causeway/sim/can/vehicle-profile.js';
import { boolFlag, intFlag } from './lib/args.js';
import type { BenchArgs, BenchResult, ResultRow } from './lib/result.js';

export const description = 'CAN decoding: SLCAN frames/s through the real CAN source (J1939 + DBC), in-memory port';

class MemoryPort extends EventEmitter implements PortLike {
  isOpen = true;
  paused = false;
  write(): boolean {
    return true;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
    this.emit('resume');
  }
  close(cb?: () => void): void {
    this.isOpen = false;
    this.emit('close');
    cb?.();
  }
}

async function runCase(label: string, source: CanSource, seconds: number, dir: string): Promise<ResultRow> {
  const lines = vehicleFrames(VEHICLE_PROFILES['city-bus']!.at(0)).map((f) => encodeSlcanFrame(f));
  const chunk = Buffer.from(Array.from({ length: 25 }, () => lines.join('')).join(''), 'latin1'); // 100 frames
  let readings = 0;
  const sink: UplinkSink = { addReading: () => (readings++, Promise.resolve()), addEvent: () => Promise.resolve() };
  const counters = newIngestCounters();
  const processor = createStreamProcessor({ rules: [], sink, counters, logger: silentLogger });
  const port = new MemoryPort();
  const c = sourceCounters(counters, 'can:bench');
  const dbcPath = join(dir, 'battery.dbc');
  writeFileSync(dbcPath, BATTERY_DBC);
  const bus = startCanBus({
    source,
    ...(source.dbc === undefined ? {} : { dbc: loadDbc(dbcPath, 'dbc') }),
    processor,
    counters: c,
    logger: silentLogger,
    now: Date.now,
    reopen: { initialMs: 50, maxMs: 500 },
    openPort: () => Promise.resolve(port),
  });
  while (!bus.open) await new Promise((r) => setTimeout(r, 5));
  const feedFor = async (ms: number): Promise<void> => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      if (port.paused) await new Promise((r) => port.once('resume', r));
      port.emit('data', chunk);
      await new Promise((r) => setImmediate(r));
    }
  };
  await feedFor(500); // warm-up
  const f0 = c.frames;
  const r0 = readings;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await feedFor(seconds * 1000);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const n = c.frames - f0;
  await bus.stop();
  const dropped = Object.entries(c.drops).filter(([, v]) => (v ?? 0) > 0).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  return {
    case: label,
    contender: 'causeway-edge CAN source',
    ours: true,
    value: Math.round(n / wall),
    detail: `${Math.round((readings - r0) / wall)} readings/s; ${Math.round(((cpu.user + cpu.system) / n) * 1000)} µs CPU per 1,000 frames; drops: ${dropped}`,
  };
}

export async function run(args: BenchArgs): Promise<BenchResult> {
  const quick = boolFlag(args, 'quick');
  const seconds = intFlag(args, 'seconds', quick ? 2 : 5);
  const dir = mkdtempSync(join(tmpdir(), 'cw-bench-can-'));
  try {
    const base = { device: 'bus-12', slcan: { path: '/dev/null' } };
    const rows: ResultRow[] = [];
    rows.push(await runCase('SLCAN, J1939 + DBC, every frame a reading (no pacing)', { ...base, j1939: true, dbc: 'battery.dbc' }, seconds, dir));
    rows.push(await runCase('SLCAN, J1939 + DBC, minIntervalMs 100 (readings paced)', { ...base, j1939: true, dbc: 'battery.dbc', minIntervalMs: 100 }, seconds, dir));
    return {
      name: 'can-decode',
      unit: 'frames/s',
      rows,
      notes: [`${seconds} s per case after a 0.5 s warm-up; frames fed 100 per chunk through an in-memory port (no tty); a sink that resolves at once`],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
