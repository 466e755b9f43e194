/**
 * Sink into PostgreSQL (issue 21): rows/s that a causeway-cloud `postgres` sink writes from the telemetry
 * queue, against a hand-written COPY baseline into the same PostgreSQL in the same run.
 *
 * One real PostgreSQL (initdb + pg_ctl, the test fixture cloud/test/e2e/fixtures/postgres-server.ts).
 * (a) baseline: the same readings, already in memory, COPYed straight into a table with the same columns
 *     and primary key, one transaction per batch of the sink's size — PostgreSQL's own ingest ceiling,
 *     with no queue, no decoding and no idempotence step.
 * (b) causeway: gateways publish the batches (CBOR + deflate, QoS 1) while the sink is paused; then the
 *     sink is resumed and timed until its lag is 0 and the table holds every row: queue reads, decoding,
 *     the transform, COPY into staging, INSERT … ON CONFLICT DO NOTHING, COMMIT, ack.
 * Target (issue 21): (b) ≥ 50 % of (a).
 *
 *   npm run bench -- sink-postgres [--quick] [--gateways 10] [--batches 200] [--readings 50] [--max 500] [--rounds 3]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { encodeEnvelope, type ReadingBatch } from '@causeway/shared';
import { boolFlag, intFlag } from './lib/args.js';
import { cloudApi } from './lib/cloud-api.js';
import { startCauseway } from './lib/competitors.js';
import { forEachConcurrent, rawConnect, type RawClient } from './lib/raw-mqtt.js';
import type { BenchArgs, BenchResult, ResultRow } from './lib/result.js';
import { postgresBinDir, startPostgres, type PostgresServer } from '../cloud/test/e2e/fixtures/postgres-server.js';

export const description = 'rows/s a postgres sink writes from the telemetry queue vs a hand-written COPY baseline into the same PostgreSQL (target ≥ 50 %)';

interface Params {
  gateways: number;
  batches: number;
  readings: number;
  /** messages per pulled batch (the sink's maxMessages); the baseline commits as many envelopes' rows at a time */
  max: number;
  /** sink and baseline runs, interleaved; the best of each is reported (a loaded machine only slows runs down) */
  rounds: number;
}

function batchOf(gw: string, i: number, readings: number): ReadingBatch {
  return {
    v: 1,
    type: 'batch',
    id: `b-${i}`,
    gateway: gw,
    device: `dev-${i % 5}`,
    stream: 'temp',
    readings: Array.from({ length: readings }, (_, k) => ({ seq: i * readings + k + 1, ts: 1_700_000_000_000 + i * 1000 + k, value: 20 + ((i + k) % 100) / 10, unit: 'C' })),
  };
}

function allBatches(p: Params): ReadingBatch[] {
  const out: ReadingBatch[] = [];
  for (let i = 0; i < p.batches; i++) for (let g = 0; g < p.gateways; g++) out.push(batchOf(`gw${g}`, i, p.readings));
  return out;
}

const DDL = (t: string): string =>
  `CREATE TABLE ${t} (gateway text NOT NULL, batch_id text NOT NULL, seq bigint NOT NULL, device text NOT NULL, stream text NOT NULL, ts timestamptz NOT NULL, value double precision, value_text text, unit text, PRIMARY KEY (gateway, batch_id, seq, ts))`;

/** (a) COPY straight into the table, one transaction per `max` envelopes. Returns rows/s. */
async function baseline(db: PostgresServer, batches: ReadingBatch[], max: number, table: string): Promise<number> {
  const c = await db.client();
  try {
    await c.query(DDL(table));
    // Encoded up front: the baseline measures PostgreSQL, not string building.
    const chunks: string[] = [];
    for (let i = 0; i < batches.length; i += max) {
      let text = '';
      for (const b of batches.slice(i, i + max)) for (const r of b.readings) text += `${b.gateway}\t${b.id}\t${r.seq}\t${b.device}\t${b.stream}\t${new Date(r.ts).toISOString()}\t${r.value}\t\\N\t${r.unit}\n`;
      chunks.push(text);
    }
    const t0 = performance.now();
    for (const text of chunks) {
      await c.query('BEGIN');
      await pipeline(Readable.from([text]), c.query(copyFrom(`COPY ${table} (gateway, batch_id, seq, device, stream, ts, value, value_text, unit) FROM STDIN`)));
      await c.query('COMMIT');
    }
    const s = (performance.now() - t0) / 1000;
    return Number((await c.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n) / s;
  } finally {
    await c.end();
  }
}

/** (b) the sink: publish everything while it is paused, then resume and time the drain. */
async function sink(db: PostgresServer, batches: ReadingBatch[], p: Params, table: string): Promise<{ rowsPerSecond: number; detail: string }> {
  const dir = db.dir;
  const config = join(dir, 'cloud.json');
  writeFileSync(config, JSON.stringify({ sinks: [{ name: 'bench', queue: 'telemetry', maxMessages: p.max, paused: true, target: { type: 'postgres', url: db.url, table } }] }));
  const broker = await startCauseway({ api: true, causewayArgs: ['--config', config] });
  const devices: RawClient[] = [];
  try {
    const api = await cloudApi(broker);
    await forEachConcurrent(p.gateways, 10, async (g) => {
      devices[g] = await rawConnect({ host: '127.0.0.1', port: broker.port, clientId: `gw${g}`, clean: true, protocolVersion: 4 });
    });
    // Each gateway sends its batches in order with up to 16 unacknowledged, as the agent's uplink does.
    await Promise.all(
      devices.map(async (d, g) => {
        const mine = batches.filter((b) => b.gateway === `gw${g}`).map((b) => encodeEnvelope(b, { codec: 'cbor', deflate: true }));
        await forEachConcurrent(mine.length, 16, (i) => d.publish(`telemetry/gw${g}/dev-${i % 5}/temp`, mine[i]!, 1));
      }),
    );
    const expected = batches.length * p.readings;
    const count = async (): Promise<number> => Number((await db.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n);
    const t0 = performance.now();
    await api.call('POST', '/v1/sinks/bench/resume');
    const deadline = Date.now() + 600_000;
    let status: any;
    for (;;) {
      // Only the sink's own status is polled (a count(*) would load the PostgreSQL the sink writes to).
      status = await api.call('GET', '/v1/sinks/bench');
      if (status.lag === 0 && status.counters.rows >= expected) break;
      if (Date.now() > deadline) throw new Error(`sink did not drain in 600 s: ${JSON.stringify(status)}`);
      await sleep(10);
    }
    const s = (performance.now() - t0) / 1000;
    const rows = await count();
    if (rows !== expected) throw new Error(`sink wrote ${rows} rows, expected ${expected}`);
    return { rowsPerSecond: rows / s, detail: `${rows.toLocaleString('en-US')} rows in ${s.toFixed(2)} s; ${status.counters.batches} pulled batches, ${status.counters.duplicates} duplicate rows skipped` };
  } finally {
    for (const d of devices) d?.destroy();
    await broker.stop();
  }
}

export async function run(args: BenchArgs): Promise<BenchResult> {
  const quick = boolFlag(args, 'quick');
  const p: Params = {
    gateways: intFlag(args, 'gateways', 10),
    batches: intFlag(args, 'batches', quick ? 40 : 200),
    readings: intFlag(args, 'readings', 50),
    max: intFlag(args, 'max', 500),
    rounds: intFlag(args, 'rounds', quick ? 1 : 3),
  };
  const batches = allBatches(p);
  const label = `${p.gateways} gateways × ${p.batches} batches × ${p.readings} readings, ${p.max} envelopes per transaction`;
  const rows: ResultRow[] = [];
  const db = await startPostgres('bench');
  const sinkRuns: Array<{ rowsPerSecond: number; detail: string }> = [];
  const baseRuns: number[] = [];
  /** sink ÷ baseline within each round (the two runs closest in time, so under the most similar load) */
  const ratios: number[] = [];
  let failed: string | undefined;
  try {
    for (let r = 0; r < p.rounds; r++) {
      process.stderr.write(`  round ${r + 1}/${p.rounds}: (b) causeway sink …\n`);
      try {
        sinkRuns.push(await sink(db, batches, p, `sunk_${r}`));
      } catch (err) {
        failed = err instanceof Error ? err.message : String(err);
      }
      process.stderr.write(`  round ${r + 1}/${p.rounds}: (a) hand-written COPY …\n`);
      baseRuns.push(await baseline(db, batches, p.max, `baseline_${r}`));
      if (sinkRuns.length === baseRuns.length) ratios.push(sinkRuns[r]!.rowsPerSecond / baseRuns[r]!);
    }
  } finally {
    await db.destroy();
  }
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const bestSink = sinkRuns.reduce<{ rowsPerSecond: number; detail: string } | undefined>((a, b) => (a === undefined || b.rowsPerSecond > a.rowsPerSecond ? b : a), undefined);
  rows.push(
    bestSink === undefined
      ? { case: label, contender: 'causeway-cloud postgres sink', ours: true, skipped: `run failed: ${failed ?? 'no run'}` }
      : { case: label, contender: 'causeway-cloud postgres sink', ours: true, value: bestSink.rowsPerSecond, detail: `best of ${sinkRuns.length} (${sinkRuns.map((x) => fmt(x.rowsPerSecond)).join(', ')}); ${bestSink.detail}` },
    { case: label, contender: 'hand-written COPY (baseline)', ours: false, value: Math.max(...baseRuns), detail: `best of ${baseRuns.length} (${baseRuns.map(fmt).join(', ')}); COPY into the table, one transaction per batch, rows pre-encoded` },
  );
  return {
    name: 'sink-postgres',
    unit: 'rows/s',
    rows,
    notes: [
      `PostgreSQL (${postgresBinDir()}) started by the benchmark (fsync=off, synchronous_commit=off, as in the tests) on the same machine; both runs write into it in the same run`,
      'the sink run is timed from resume to lag 0 with every row in the table; the publish before it is not timed',
      `${p.rounds} rounds, each a sink run then a baseline run into fresh tables; the best of each is compared (load only slows a run down)`,
      'target (issue 21): the sink at ≥ 50 % of the baseline',
      `sink ÷ baseline per round: ${ratios.map((x) => `${Math.round(x * 100)} %`).join(', ') || 'none'}`,
    ],
  };
}
