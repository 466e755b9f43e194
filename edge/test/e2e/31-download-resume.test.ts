import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startFaultProxy, type FaultProxy } from '@causeway/sim/fault-proxy/fault-proxy.js';
import { apiCall, sleep, startBroker, type BrokerProcess, waitFor as waitForValue } from '../../../cloud/test/e2e/fixtures/broker-process.js';

const run = promisify(execFile);
const CHUNK = 256 * 1024;
const SIZE = 8 * 1024 * 1024;

/**
 * A download survives a link cut mid-transfer and a kill -9 of the agent (issue 17): it resumes from the
 * last verified chunk, never from zero. The gateway counts the bytes it fetched more than once, and the
 * result reports them. The link runs through the fault proxy; the download is paced by
 * files.maxBytesPerSecond so the cut and the kill land mid-transfer (observed on the partial file).
 */
describe('edge e2e 31: download resumes after a link cut and a kill -9 @e2e', function () {
  this.timeout(180_000);
  let dir: string;
  let cloud: BrokerProcess;
  let proxy: FaultProxy;
  let api: string;
  const token = 'operator-token-for-e2e-31-resume';
  let edge: ChildProcess | undefined;

  const call = (method: string, path: string, body?: unknown): Promise<any> => apiCall(api, token, method, path, body);
  const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', '--url', api, ...args], { env: { ...process.env, CAUSEWAY_TOKEN: token }, timeout: 60_000 });
  const waitFor = <T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> => waitForValue(what, ms, probe, { everyMs: 50 });
  const startEdge = (): ChildProcess => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'edge/src/main.ts', '--config', join(dir, 'gw1.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.resume();
    p.stderr!.resume();
    return p;
  };
  const partialSize = (sha: string): number | undefined => {
    const f = join(dir, 'gw1', 'files', '.partial', sha);
    return existsSync(f) ? statSync(f).size : undefined;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-e2e-resume-'));
    const keys = await run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', 'keys', 'init', '--key', join(dir, 'release-key.pem')]);
    const pub = keys.stdout.trim().split('\n').at(-1)!;
    writeFileSync(join(dir, 'cloud.json'), JSON.stringify({ files: { trustedKeys: [pub] }, api: { operatorToken: token } }));
    cloud = await startBroker(join(dir, 'cloud'), ['--config', join(dir, 'cloud.json'), '--auth.allowAnonymous', 'false']);
    api = `http://127.0.0.1:${cloud.apiPort}`;
    proxy = await startFaultProxy({ targetPort: cloud.port });
    const secret = (await call('POST', '/v1/devices', { id: 'gw1' })).secret;
    mkdirSync(join(dir, 'gw1'), { recursive: true });
    writeFileSync(
      join(dir, 'gw1.json'),
      JSON.stringify({
        gateway: { id: 'gw1' },
        cloud: { url: `mqtt://127.0.0.1:${proxy.port}`, username: 'gw1', password: secret, backoffBaseMs: 100, backoffMaxMs: 500, keepaliveSeconds: 2 },
        store: { path: join(dir, 'gw1', 'outbox.db') },
        files: { root: join(dir, 'gw1', 'files'), trustedKeys: [pub], chunkTimeoutMs: 2000, maxBytesPerSecond: 1024 * 1024 },
      }),
    );
  });
  after(async () => {
    edge?.kill('SIGKILL');
    await proxy?.close();
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes from the last verified chunk, re-fetching at most a few chunks, and installs the exact bytes', async () => {
    const content = randomBytes(SIZE);
    writeFileSync(join(dir, 'image.bin'), content);
    const out = (await cli(['file', 'publish', join(dir, 'image.bin'), '--name', 'fw-image', '--version', '7', '--key', join(dir, 'release-key.pem')])).stdout;
    const sha = /sha256 ([0-9a-f]{64})/.exec(out)![1]!;
    edge = startEdge();
    await waitFor('gw1 online', 30_000, async () => ((await call('GET', '/v1/devices/gw1')).online ? true : undefined));
    const id = JSON.parse((await cli(['rollout', 'fw-image', '7', '--gateway', 'gw1', '--json'])).stdout).command.id as string;

    // Link cut mid-transfer: the chunk in flight is lost, the download goes on after the reconnect.
    await waitFor('2 MiB downloaded', 60_000, () => ((partialSize(sha) ?? 0) >= 2 * 1024 * 1024 ? true : undefined));
    proxy.cut();
    await sleep(1500);
    const atCut = partialSize(sha)!;
    proxy.restore();

    // kill -9 mid-transfer: the restarted agent goes on from its committed chunk.
    await waitFor('5 MiB downloaded', 60_000, () => ((partialSize(sha) ?? 0) >= 5 * 1024 * 1024 ? true : undefined));
    edge.kill('SIGKILL');
    await new Promise((r) => edge!.once('exit', r));
    const atKill = partialSize(sha)!;
    assert.ok(atKill > atCut, 'the download went on after the link came back');
    edge = startEdge();

    const t = await waitFor('install finished', 90_000, async () => {
      const x = (await call('GET', `/v1/commands/${id}/targets`)).targets[0];
      return ['SUCCEEDED', 'FAILED', 'TIMED_OUT'].includes(x.state) ? x : undefined;
    });
    assert.equal(t.state, 'SUCCEEDED', JSON.stringify(t));
    assert.deepEqual(readFileSync(join(dir, 'gw1', 'files', 'fw-image')), content);
    const { fetchedBytes, refetchedBytes } = t.output as { fetchedBytes: number; refetchedBytes: number };
    // Each chunk was committed once; re-fetched counts the chunks asked for more than once: the kill
    // costs the chunk in flight, the cut the chunk in flight (one more if its answer timed out): never a restart.
    assert.equal(fetchedBytes, SIZE);
    assert.ok(refetchedBytes >= CHUNK, `the chunk in flight at the kill is counted (${refetchedBytes})`);
    assert.ok(refetchedBytes <= 4 * CHUNK, `re-fetched ${refetchedBytes} bytes, at most 4 chunks`);
    console.log(`      ${SIZE} bytes, re-fetched ${refetchedBytes} (${(refetchedBytes / CHUNK).toFixed(1)} chunks) after one link cut and one kill -9`);
  });
});
