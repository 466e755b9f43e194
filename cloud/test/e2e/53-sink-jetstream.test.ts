import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { natsForSuite } from '../store/jetstream-server.js';
import { apiCall, removeDir, startBroker, tempDir, waitFor, type BrokerProcess } from './fixtures/broker-process.js';
import { startPostgres, type PostgresServer } from './fixtures/postgres-server.js';
import { startBatchGateway, type BatchGateway } from './fixtures/batch-gateway.js';

/**
 * Issue 21 on a scaled-out cluster: two causeway-cloud nodes on one JetStream store with the same `sinks`
 * config. The sink runs on ONE node — the holder of its consumer group's lease — and the other stands by;
 * the running node is killed -9 mid-stream and the other takes the sink over. Every reading is one row.
 */
describe('cloud e2e 53: a PostgreSQL sink on two JetStream nodes runs on the lease holder, fails over, and keeps a pause across nodes @e2e', function () {
  this.timeout(240_000);
  const nats = natsForSuite(1);
  let dir: string;
  let pg: PostgresServer;
  const nodes = new Map<string, BrokerProcess>();
  const gateways: BatchGateway[] = [];
  const prefix = `e53${randomBytes(3).toString('hex')}`;

  nats.closeFirst(async () => {
    for (const g of gateways) g.stop();
    for (const n of nodes.values()) await n.stop();
  });
  before(async () => {
    dir = tempDir('e2e53');
    pg = await startPostgres('e2e53');
  });
  after(async () => {
    await pg?.destroy();
    if (dir !== undefined) removeDir(dir);
  });

  it('one node runs the sink, the other takes over after a kill -9; every reading once; a pause asked of either node holds on the one running it', async () => {
    const config = join(dir, 'cloud.json');
    writeFileSync(config, JSON.stringify({ sinks: [{ name: 'pg', queue: 'telemetry', maxMessages: 20, target: { type: 'postgres', url: pg.url, table: 'readings' } }] }));
    const start = (id: string): Promise<BrokerProcess> =>
      startBroker(join(dir, id), ['--config', config, '--store.backend', 'jetstream', '--store.jetstream.servers', nats.urls.join(','), '--store.jetstream.prefix', prefix, '--node.id', id]);
    const [a, b] = await Promise.all([start('node-a'), start('node-b')]);
    nodes.set('node-a', a).set('node-b', b);
    const token = readFileSync(join(dir, 'node-a', 'operator-token'), 'utf8').trim();
    const status = (n: BrokerProcess): Promise<any> => apiCall(`http://127.0.0.1:${n.apiPort}`, token, 'GET', '/v1/sinks/pg');
    const rows = async (): Promise<number> => Number((await pg.query('SELECT count(*)::int AS n FROM readings'))[0].n);

    // exactly one node runs it
    const [runner, standby] = await waitFor('one node running the sink, the other standing by', 30_000, async () => {
      const [sa, sb] = await Promise.all([status(a), status(b)]);
      if (sa.state === 'running' && sb.state === 'standby') return [a, b] as const;
      if (sb.state === 'running' && sa.state === 'standby') return [b, a] as const;
      return undefined;
    });

    // gateways publish to the node that will survive
    const GATEWAYS = 2;
    const BATCHES = 80;
    const READINGS = 10;
    for (let g = 0; g < GATEWAYS; g++) gateways.push(startBatchGateway(() => standby.port, `gw${g + 1}`, BATCHES, READINGS));
    await waitFor('rows written by the running node', 60_000, async () => ((await rows()) >= 100 ? true : undefined));
    await runner.kill9();
    const survivor = await waitFor('the other node running the sink', 60_000, async () => {
      const s = await status(standby);
      return s.state === 'running' ? s : undefined;
    });
    assert.equal(survivor.name, 'pg');

    await Promise.all(gateways.map((g) => g.done));
    const expected = GATEWAYS * BATCHES * READINGS;
    await waitFor(`${expected} rows`, 120_000, async () => ((await rows()) >= expected ? true : undefined), { detail: () => standby.lines.slice(-20).join('\n') });
    await waitFor('no lag', 60_000, async () => ((await status(standby)).lag === 0 ? true : undefined));
    assert.equal(await rows(), expected, 'no reading twice');
    assert.equal(Number((await pg.query('SELECT count(DISTINCT (gateway, seq))::int AS n FROM readings'))[0].n), expected);

    // A pause asked of the standby node holds on the node that runs the sink (KV <prefix>_sinks), and on
    // the node that takes it over after a kill -9 (#21).
    const runnerId = runner === a ? 'node-a' : 'node-b';
    const restarted = await start(runnerId);
    nodes.set(runnerId, restarted);
    await waitFor('the restarted node standing by', 30_000, async () => ((await status(restarted)).state === 'standby' ? true : undefined));
    await apiCall(`http://127.0.0.1:${restarted.apiPort}`, token, 'POST', '/v1/sinks/pg/pause');
    await waitFor('the running node paused', 30_000, async () => ((await status(standby)).state === 'paused' ? true : undefined));
    const more = startBatchGateway(() => restarted.port, 'gw9', 10, READINGS);
    gateways.push(more);
    await more.done;
    await waitFor('lag while paused', 30_000, async () => ((await status(standby)).lag === 10 ? true : undefined));
    await standby.kill9();
    await waitFor('the sink still paused on the node left', 60_000, async () => {
      const s = await status(restarted);
      return s.state === 'paused' && s.lag === 10 ? true : undefined;
    });
    assert.equal(await rows(), expected, 'nothing written while paused');
    await apiCall(`http://127.0.0.1:${restarted.apiPort}`, token, 'POST', '/v1/sinks/pg/resume');
    await waitFor(`${expected + 100} rows after resume`, 60_000, async () => ((await rows()) >= expected + 100 ? true : undefined));
    assert.equal(await rows(), expected + 100);
  });
});
