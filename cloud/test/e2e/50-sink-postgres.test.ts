import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiCall, freePort, removeDir, startBroker, tempDir, waitFor, type BrokerProcess } from './fixtures/broker-process.js';
import { startPostgres, type PostgresServer } from './fixtures/postgres-server.js';
import { startBatchGateway, type BatchGateway } from './fixtures/batch-gateway.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Issue 21: a sink is a consumer group, so the outages of its path are lag, never loss. Three simulated
 * gateways publish telemetry batches into a real causeway-cloud whose `pg` sink writes them to a real
 * PostgreSQL; mid-stream the cloud is killed with SIGKILL (and restarted on the same store) and
 * PostgreSQL is stopped (and started again). Every reading is then a row exactly once.
 */
describe('e2e 50: PostgreSQL sink, exactly once across kill -9 of the cloud and a PostgreSQL restart @e2e', function () {
  this.timeout(240_000);
  let dir: string;
  let pg: PostgresServer;
  let cloud: BrokerProcess | undefined;
  const gateways: BatchGateway[] = [];

  before(async () => {
    dir = tempDir('e2e50');
    pg = await startPostgres('e2e50');
  });
  after(async () => {
    for (const g of gateways) g.stop();
    await cloud?.stop();
    await pg?.destroy();
    removeDir(dir);
  });

  it('every reading of every gateway is one row, and the sink shows lag, state and the outage', async () => {
    const GATEWAYS = 3;
    const BATCHES = 120;
    const READINGS = 20;
    const healthPort = await freePort();
    const config = join(dir, 'cloud.json');
    writeFileSync(config, JSON.stringify({ sinks: [{ name: 'pg', queue: 'telemetry', maxMessages: 50, target: { type: 'postgres', url: pg.url, table: 'readings' } }] }));
    const store = join(dir, 'store');
    const start = (): Promise<BrokerProcess> => startBroker(store, ['--config', config, '--health.port', String(healthPort)]);
    cloud = await start();
    const token = readFileSync(join(store, 'operator-token'), 'utf8').trim();
    const api = (method: string, path: string, body?: unknown): Promise<any> => apiCall(`http://127.0.0.1:${cloud!.apiPort}`, token, method, path, body);
    const rows = async (): Promise<number> => Number((await pg.query('SELECT count(*)::int AS n FROM readings'))[0].n);
    const logs = (): string => `acked ${gateways.reduce((n, g) => n + g.acked, 0)}\n` + cloud!.lines.slice(-30).join('\n');

    for (let g = 0; g < GATEWAYS; g++) gateways.push(startBatchGateway(() => cloud!.port, `gw${g + 1}`, BATCHES, READINGS));
    const acked = (): number => gateways.reduce((n, g) => n + g.acked, 0);

    // 1. kill -9 the cloud once the sink has written some rows
    await waitFor('rows in PostgreSQL', 60_000, async () => ((await rows()) >= 200 ? true : undefined), { detail: logs });
    await cloud.kill9();
    cloud = await start();

    // 2. stop PostgreSQL mid-stream: the sink backs off and says why, the queue lags
    await waitFor('more batches acknowledged', 60_000, () => (acked() >= (GATEWAYS * BATCHES) / 2 ? true : undefined));
    await pg.stop();
    const down = await waitFor('the sink backing off', 60_000, async () => {
      const s = await api('GET', '/v1/sinks/pg');
      return s.state === 'backing off' && s.lastError !== undefined ? s : undefined;
    }, { detail: logs });
    assert.match(down.lastError.code, /^SINK_TARGET_/);
    assert.ok(down.counters.failures >= 1);
    await waitFor('lag while PostgreSQL is down', 60_000, async () => ((await api('GET', '/v1/sinks/pg')).lag > 0 ? true : undefined));
    await pg.start();

    // 3. everything arrives, once
    await Promise.all(gateways.map((g) => g.done));
    const expected = GATEWAYS * BATCHES * READINGS;
    await waitFor(`${expected} rows`, 120_000, async () => ((await rows()) >= expected ? true : undefined), { detail: logs });
    const after = await waitFor('no lag', 60_000, async () => {
      const s = await api('GET', '/v1/sinks/pg');
      return s.lag === 0 && s.state === 'running' ? s : undefined;
    });
    assert.equal(await rows(), expected, 'no reading twice');
    const perGateway = await pg.query('SELECT gateway, count(*)::int AS n, count(DISTINCT seq)::int AS seqs, min(seq)::int AS lo, max(seq)::int AS hi FROM readings GROUP BY gateway ORDER BY gateway');
    assert.deepEqual(
      perGateway,
      Array.from({ length: GATEWAYS }, (_, g) => ({ gateway: `gw${g + 1}`, n: BATCHES * READINGS, seqs: BATCHES * READINGS, lo: 1, hi: BATCHES * READINGS })),
    );
    const sample = await pg.query("SELECT device, stream, value, unit, batch_id, extract(epoch FROM ts) * 1000 AS ts FROM readings WHERE gateway = 'gw2' AND seq = 43");
    // seq 43 = batch 2 (seqs 41..60), reading 2
    assert.deepEqual(sample.map((r) => ({ ...r, ts: Number(r.ts) })), [{ device: 'dev-2', stream: 'temp', value: 2.02, unit: 'C', batch_id: 'b-2', ts: 1_700_000_002_002 }]);
    assert.equal(after.target, `postgres causeway@127.0.0.1:${pg.port}/postgres table readings`);

    // 4. /metrics and the CLI show the same sink
    const metrics = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
    assert.match(metrics, /causeway_sink_lag\{sink="pg"\} 0/);
    assert.match(metrics, /causeway_sink_state\{sink="pg",state="running"\} 1/);
    assert.match(metrics, /causeway_sink_rows_per_second\{sink="pg"\}/);
    const cli = (...args: string[]): string =>
      execFileSync(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', '--url', `http://127.0.0.1:${cloud!.apiPort}`, '--token', token, 'sinks', ...args], { cwd: ROOT, encoding: 'utf8' });
    assert.match(cli('list'), /^pg\s+telemetry\s+running\s+0\s/m);
    assert.match(cli('status', 'pg'), /lag {9}0 messages/);

    // 5. replay from the start: every batch is written again the idempotent way, and no row doubles
    const before = after.counters.duplicates as number;
    assert.match(cli('replay', 'pg', '--from', 'earliest'), /pg: replaying from offset 1/);
    await waitFor('the replay skipped every row', 120_000, async () => {
      const s = await api('GET', '/v1/sinks/pg');
      return s.lag === 0 && s.counters.duplicates - before === expected ? s : undefined;
    }, { detail: logs });
    assert.equal(await rows(), expected, 'a replay adds no row');
  });
});
