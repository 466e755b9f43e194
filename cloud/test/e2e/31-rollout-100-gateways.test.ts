import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parsePublicKey } from '@causeway/shared';
import { SqliteRegistry } from '../../src/identity/registry/sqlite-registry.js';
import { hashSecret } from '../../src/identity/secret-hash.js';
import { apiCall, startBroker, type BrokerProcess, waitFor } from './fixtures/broker-process.js';
import { startInstallGateway, type InstallGateway } from './fixtures/install-gateway.js';

const run = promisify(execFile);
const GOOD = 100;
const MIXED = 40;
const SIZE = 1024 * 1024 + 5;
const TERMINAL = ['SUCCEEDED', 'FAILED', 'REJECTED', 'TIMED_OUT', 'EXPIRED', 'CANCELED', 'ROLLED_BACK'];

/**
 * A signed file rolled out to 100 simulated gateways (issue 17) through a real causeway-cloud over TCP,
 * with a rollout rate and an abort threshold: every target ends SUCCEEDED, each gateway fetched the
 * artifact's bytes once and the cloud stored them once. Then a rollout to a group where half the
 * gateways fail their install: past the threshold the command is ABORTED and the targets not yet sent
 * end CANCELED; none is left in progress. The gateways are lightweight (fixtures/install-gateway.ts:
 * one MQTT connection each, the agent's wire protocol, no files written), not 140 agent processes.
 */
describe('cloud e2e 31: a rollout to 100 simulated gateways, rate and abort threshold @e2e', function () {
  this.timeout(240_000);
  let dir: string;
  let cloud: BrokerProcess;
  let api: string;
  const token = 'operator-token-for-cloud-e2e-31';
  const gateways: InstallGateway[] = [];
  const call = (method: string, path: string, body?: unknown): Promise<any> => apiCall(api, token, method, path, body);
  const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', '--url', api, ...args], { env: { ...process.env, CAUSEWAY_TOKEN: token }, timeout: 60_000 });
  const finished = (id: string) =>
    waitFor(`command ${id} finished`, 180_000, async () => {
      const c = await call('GET', `/v1/commands/${id}`);
      return c.command.status !== 'RUNNING' ? c : undefined;
    }, { everyMs: 250 });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-e2e-rollout-100-'));
    const keys = await run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', 'keys', 'init', '--key', join(dir, 'release-key.pem')]);
    const pub = keys.stdout.trim().split('\n').at(-1)!;
    writeFileSync(join(dir, 'cloud.json'), JSON.stringify({ files: { trustedKeys: [pub] }, api: { operatorToken: token } }));
    // The registry filled before the cloud starts, one scrypt hash shared by all (as cloud e2e 61 does).
    mkdirSync(join(dir, 'cloud'), { recursive: true });
    const registry = new SqliteRegistry(join(dir, 'cloud', 'registry.db'));
    const secretHash = await hashSecret('fleet-secret');
    for (let i = 0; i < GOOD + MIXED; i++) {
      await registry.create({ id: `gw-${String(i).padStart(3, '0')}`, kind: 'gateway', groups: [i < GOOD ? 'depot' : 'mixed'], tags: {}, secretHash, enabled: true, createdAt: Date.now(), online: false });
    }
    await registry.close();
    cloud = await startBroker(join(dir, 'cloud'), ['--config', join(dir, 'cloud.json'), '--auth.allowAnonymous', 'false']);
    api = `http://127.0.0.1:${cloud.apiPort}`;
    const trusted = [parsePublicKey(pub)];
    for (let i = 0; i < GOOD + MIXED; i++) {
      // In the mixed group every other gateway fails its install.
      gateways.push(await startInstallGateway({ port: cloud.port, id: `gw-${String(i).padStart(3, '0')}`, password: 'fleet-secret', trusted, broken: i >= GOOD && i % 2 === 0 }));
    }
    writeFileSync(join(dir, 'tiles.bin'), randomBytes(SIZE));
    await cli(['file', 'publish', join(dir, 'tiles.bin'), '--name', 'tiles', '--version', '1', '--key', join(dir, 'release-key.pem')]);
  });
  after(async () => {
    await Promise.all(gateways.map((g) => g.stop().catch(() => undefined)));
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`reaches all ${GOOD} gateways at the rollout rate: every target SUCCEEDED, the bytes stored once`, async () => {
    const started = Date.now();
    const id = JSON.parse((await cli(['rollout', 'tiles', '1', '--group', 'depot', '--rate', '600', '--abort-at', '10', '--ttl', '200', '--json'])).stdout).command.id as string;
    const c = await finished(id);
    assert.equal(c.command.status, 'COMPLETED', JSON.stringify(c));
    assert.equal(c.counts.SUCCEEDED, GOOD, JSON.stringify(c.counts));
    const targets = (await call('GET', `/v1/commands/${id}/targets?limit=1000`)).targets as Array<{ state: string }>;
    assert.equal(targets.length, GOOD);
    assert.ok(targets.every((t) => t.state === 'SUCCEEDED'));
    for (const g of gateways.slice(0, GOOD)) assert.equal(g.bytes, SIZE, `${g.id} fetched the artifact once`);
    assert.equal((await call('GET', '/v1/artifacts')).storedBytes, SIZE, 'the cloud stores the content once');
    // 600 a minute is 10 a second: the last gateway cannot have been sent to within ~9 s of the start.
    assert.ok(Date.now() - started >= 9_000, 'the rollout rate paced the sends');
    console.log(`      ${GOOD} gateways × ${SIZE} bytes in ${((Date.now() - started) / 1000).toFixed(1)} s at 600/min (under load)`);
  });

  it('stops a rollout whose targets fail past the abort threshold: ABORTED, the rest CANCELED, none in progress', async () => {
    const id = JSON.parse((await cli(['rollout', 'tiles', '1', '--group', 'mixed', '--rate', '60', '--abort-at', '25', '--ttl', '200', '--json'])).stdout).command.id as string;
    const c = await finished(id);
    assert.equal(c.command.status, 'ABORTED', JSON.stringify(c));
    assert.ok(c.counts.FAILED >= 1, JSON.stringify(c.counts));
    assert.ok(c.counts.CANCELED >= MIXED / 2, `most targets were never sent (${JSON.stringify(c.counts)})`);
    // The targets sent before the abort finish on their own; then none is left in progress.
    const targets = await waitFor('every target terminal', 60_000, async () => {
      const t = (await call('GET', `/v1/commands/${id}/targets?limit=1000`)).targets as Array<{ gateway: string; state: string; reason?: string }>;
      return t.every((x) => TERMINAL.includes(x.state)) ? t : undefined;
    }, { everyMs: 250 });
    assert.equal(targets.length, MIXED);
    for (const t of targets.filter((x) => x.state === 'CANCELED')) assert.match(t.reason ?? '', /aborted: more than 25% failed/);
    for (const t of targets.filter((x) => x.state === 'FAILED')) assert.match(t.reason ?? '', /simulated install failure/);
  });
});
