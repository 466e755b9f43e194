import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { apiCall, startBroker, type BrokerProcess, waitFor as waitForValue } from '../../../cloud/test/e2e/fixtures/broker-process.js';

const run = promisify(execFile);
const SIZE = 3 * 1024 * 1024 + 17;

/**
 * kill -9 inside the windows after the download (issue 17): while VERIFYING, while INSTALLING before the
 * rename, and after the rename before its record in files.db. The agent is held at each point by the
 * CAUSEWAY_TEST_HOLD_FILE hook (edge/src/files/test-hold.ts: the file names the point, the agent removes
 * it there and waits), so the kill lands in a window that is microseconds wide otherwise. At the kill the
 * install path holds the previous version or the new one whole, never part of one; after the restart the
 * target ends SUCCEEDED with the exact bytes, the download area is empty and nothing is re-fetched.
 */
describe('edge e2e 34: kill -9 while verifying and installing a file @e2e', function () {
  this.timeout(180_000);
  let dir: string;
  let cloud: BrokerProcess;
  let api: string;
  const token = 'operator-token-for-e2e-34-kill-install';
  let edge: ChildProcess | undefined;
  const hold = (): string => join(dir, 'hold');

  const call = (method: string, path: string, body?: unknown): Promise<any> => apiCall(api, token, method, path, body);
  const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', '--url', api, ...args], { env: { ...process.env, CAUSEWAY_TOKEN: token }, timeout: 60_000 });
  const waitFor = <T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> => waitForValue(what, ms, probe, { everyMs: 20 });
  const installed = (): string => join(dir, 'gw1', 'files', 'maps', 'north.bin');
  let healthPort: number | undefined;
  const startEdge = (): ChildProcess => {
    healthPort = undefined;
    const p = spawn(process.execPath, ['--import', 'tsx', 'edge/src/main.ts', '--config', join(dir, 'gw1.json')], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CAUSEWAY_TEST_HOLD_FILE: hold() } });
    createInterface({ input: p.stdout! }).on('line', (l) => {
      if (l.includes('"agent started"')) healthPort = (JSON.parse(l) as { healthPort?: number }).healthPort;
    });
    p.stderr!.resume();
    return p;
  };
  /** `causeway_files{what=…}` of the running agent's /metrics */
  const filesMetrics = async (): Promise<Record<string, number>> => {
    const port = await waitFor('the health port', 30_000, () => healthPort);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return Object.fromEntries([...text.matchAll(/^causeway_files\{what="(\w+)"\} (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-e2e-kill-install-'));
    const keys = await run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', 'keys', 'init', '--key', join(dir, 'release-key.pem')]);
    const pub = keys.stdout.trim().split('\n').at(-1)!;
    writeFileSync(join(dir, 'cloud.json'), JSON.stringify({ files: { trustedKeys: [pub] }, api: { operatorToken: token } }));
    cloud = await startBroker(join(dir, 'cloud'), ['--config', join(dir, 'cloud.json'), '--auth.allowAnonymous', 'false']);
    api = `http://127.0.0.1:${cloud.apiPort}`;
    const secret = (await call('POST', '/v1/devices', { id: 'gw1' })).secret;
    mkdirSync(join(dir, 'gw1'), { recursive: true });
    writeFileSync(
      join(dir, 'gw1.json'),
      JSON.stringify({
        gateway: { id: 'gw1' },
        cloud: { url: `mqtt://127.0.0.1:${cloud.port}`, username: 'gw1', password: secret, backoffBaseMs: 100, backoffMaxMs: 500 },
        store: { path: join(dir, 'gw1', 'outbox.db') },
        files: { root: join(dir, 'gw1', 'files'), trustedKeys: [pub], chunkTimeoutMs: 3000 },
        health: { port: 0 },
      }),
    );
    edge = startEdge();
    await waitFor('gw1 online', 30_000, async () => ((await call('GET', '/v1/devices/gw1')).online ? true : undefined));
  });
  after(async () => {
    edge?.kill('SIGKILL');
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  let previous: Buffer | undefined;
  for (const [version, point] of [['1', 'verifying'], ['2', 'installing'], ['3', 'renamed']] as const) {
    it(`kill -9 at "${point}" (version ${version}): the old file or the new one whole, then SUCCEEDED with the exact bytes`, async () => {
      const content = randomBytes(SIZE);
      writeFileSync(join(dir, `north-${version}.bin`), content);
      await cli(['file', 'publish', join(dir, `north-${version}.bin`), '--name', 'maps-north', '--version', version, '--path', 'maps/north.bin', '--key', join(dir, 'release-key.pem')]);
      writeFileSync(hold(), point);
      const id = JSON.parse((await cli(['rollout', 'maps-north', version, '--gateway', 'gw1', '--json', '--ttl', '120'])).stdout).command.id as string;
      await waitFor(`the agent held at ${point}`, 60_000, () => (existsSync(hold()) ? undefined : true));
      // This process downloaded the artifact once (it started at the previous case's restart).
      const before = await filesMetrics();
      assert.equal(before.downloads, 1, JSON.stringify(before));
      assert.equal(before.fetched_bytes, SIZE, JSON.stringify(before));
      assert.equal(before.refetched_bytes, 0, JSON.stringify(before));
      edge!.kill('SIGKILL');
      await new Promise((r) => edge!.once('exit', r));

      // What a reader sees at the crash: the previous version (or nothing, the first time) or the new one, whole.
      const atKill = existsSync(installed()) ? readFileSync(installed()) : undefined;
      if (point === 'renamed') assert.deepEqual(atKill, content, 'the rename is done at this point');
      else assert.deepEqual(atKill, previous, 'nothing is in place before the rename');
      const mid = (await call('GET', `/v1/commands/${id}/targets`)).targets[0];
      assert.ok(!['SUCCEEDED', 'FAILED'].includes(mid.state), `not finished at the kill (${mid.state})`);

      edge = startEdge();
      const t = await waitFor('install finished', 90_000, async () => {
        const x = (await call('GET', `/v1/commands/${id}/targets`)).targets[0];
        return ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELED', 'EXPIRED'].includes(x.state) ? x : undefined;
      });
      assert.equal(t.state, 'SUCCEEDED', JSON.stringify(t));
      assert.deepEqual(readFileSync(installed()), content);
      assert.equal(t.output.refetchedBytes, 0, 'nothing was fetched again: the verified chunks were on disk');
      assert.equal(t.output.fetchedBytes, SIZE);
      const partial = join(dir, 'gw1', 'files', '.partial');
      assert.deepEqual(existsSync(partial) ? readdirSync(partial) : [], [], 'no partial file left behind');
      const status = JSON.parse((await run(process.execPath, ['--import', 'tsx', 'edge/src/main.ts', 'status', '--json', '--config', join(dir, 'gw1.json')])).stdout);
      assert.equal(status.files?.installed?.['maps-north']?.version, version, JSON.stringify(status.files));
      // The restarted agent's /metrics: one install, no download and no byte fetched in this process.
      const m = await filesMetrics();
      assert.equal(m.succeeded, 1, JSON.stringify(m));
      assert.equal(m.downloads, 0, JSON.stringify(m));
      assert.equal(m.fetched_bytes, 0, JSON.stringify(m));
      assert.equal(m.failed, 0, JSON.stringify(m));
      previous = content;
    });
  }
});
