import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { CHUNK_LANE, decodeChunkAnswer, encodeChunkRequest, formatTopic } from '@causeway/shared';
import { startFaultProxy, type FaultProxy } from '@causeway/sim/fault-proxy/fault-proxy.js';
import { WINDOW_CHUNKS } from '../../src/files/http-chunk-source.js';
import { apiCall, sleep, startBroker, type BrokerProcess, waitFor as waitForValue } from '../../../cloud/test/e2e/fixtures/broker-process.js';

const run = promisify(execFile);
const CHUNK = 256 * 1024;
const SIZE = 8 * 1024 * 1024;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * Artifacts over HTTP with resume (issue 17): a real causeway-cloud serves GET/HEAD
 * /v1/gateway/artifacts/{sha256} with Range to the gateway an artifact is rolled out to (HTTP Basic with
 * its MQTT id and secret), and refuses everyone else (401; 403 ARTIFACT_NOT_ROLLED_OUT, over MQTT too).
 * A real causeway-edge with files.transport http downloads through a fault proxy on the API port; the
 * link is cut mid-download and the agent goes on with a Range from the bytes already on disk, not from
 * zero (its log says from which byte, and it received less than the artifact plus what it had). Then a
 * kill -9 of the agent mid-download: the restarted agent asks from its last verified chunk, and the
 * cloud serves it the rest of the artifact and at most a couple of chunks more, never the whole again.
 */
describe('edge e2e 33: artifact download over HTTP with Range, resumed after a link cut and a kill -9; refused without a rollout @e2e', function () {
  this.timeout(180_000);
  let dir: string;
  let cloud: BrokerProcess;
  let proxy: FaultProxy;
  let api: string;
  let edgeHealth: number;
  let cloudHealth: number;
  const token = 'operator-token-for-e2e-33-http';
  const secrets: Record<string, string> = {};
  let edge: ChildProcess | undefined;
  /** the log lines of the agent started last */
  let edgeLog: string[] = [];
  const startEdge = (): ChildProcess => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'edge/src/main.ts', '--config', join(dir, 'gw1.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    edgeLog = lines;
    createInterface({ input: p.stdout! }).on('line', (l) => (l === '' ? undefined : lines.push(l)));
    p.stderr!.resume();
    edge = p;
    return p;
  };

  const call = (method: string, path: string, body?: unknown): Promise<any> => apiCall(api, token, method, path, body);
  const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', '--url', api, ...args], { env: { ...process.env, CAUSEWAY_TOKEN: token }, timeout: 60_000 });
  const waitFor = <T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> => waitForValue(what, ms, probe, { everyMs: 50 });
  const basic = (id: string, secret: string): string => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  const get = (sha: string, headers: Record<string, string>, method = 'GET') => fetch(`${api}/v1/gateway/artifacts/${sha}`, { method, headers });
  const partialSize = (sha: string): number | undefined => {
    const f = join(dir, 'gw1', 'files', '.partial', sha);
    return existsSync(f) ? statSync(f).size : undefined;
  };
  const metric = async (port: number, name: string, labels: string): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
    assert.ok(line !== undefined, `${name}{${labels}} in /metrics`);
    return Number(line.split(' ').at(-1));
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-e2e-http-'));
    const keys = await run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', 'keys', 'init', '--key', join(dir, 'release-key.pem')]);
    const pub = keys.stdout.trim().split('\n').at(-1)!;
    writeFileSync(join(dir, 'cloud.json'), JSON.stringify({ files: { trustedKeys: [pub] }, api: { operatorToken: token } }));
    cloudHealth = await freePort();
    cloud = await startBroker(join(dir, 'cloud'), ['--config', join(dir, 'cloud.json'), '--auth.allowAnonymous', 'false', '--health.port', String(cloudHealth)]);
    api = `http://127.0.0.1:${cloud.apiPort}`;
    proxy = await startFaultProxy({ targetPort: cloud.apiPort! });
    for (const id of ['gw1', 'gw2']) secrets[id] = (await call('POST', '/v1/devices', { id })).secret;
    mkdirSync(join(dir, 'gw1'), { recursive: true });
    edgeHealth = await freePort();
    writeFileSync(
      join(dir, 'gw1.json'),
      JSON.stringify({
        gateway: { id: 'gw1' },
        cloud: { url: `mqtt://127.0.0.1:${cloud.port}`, username: 'gw1', password: secrets.gw1, backoffBaseMs: 100, backoffMaxMs: 500 },
        store: { path: join(dir, 'gw1', 'outbox.db') },
        files: { root: join(dir, 'gw1', 'files'), trustedKeys: [pub], transport: 'http', httpUrl: `http://127.0.0.1:${proxy.port}`, chunkTimeoutMs: 2000, maxBytesPerSecond: 1024 * 1024 },
        health: { port: edgeHealth },
      }),
    );
  });
  after(async () => {
    edge?.kill('SIGKILL');
    await proxy?.close();
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  let sha: string;
  let content: Buffer;
  let commandId: string;

  it('serves a rolled-out artifact to its gateway only: 401 without its credentials, 403 to another gateway (HTTP and MQTT), 206 and 416 for ranges', async () => {
    content = randomBytes(SIZE);
    writeFileSync(join(dir, 'image.bin'), content);
    const out = (await cli(['file', 'publish', join(dir, 'image.bin'), '--name', 'fw-image', '--version', '9', '--key', join(dir, 'release-key.pem')])).stdout;
    sha = /sha256 ([0-9a-f]{64})/.exec(out)![1]!;

    // Published but rolled out to nobody: not even gw1 may fetch it.
    let r = await get(sha, { authorization: basic('gw1', secrets.gw1!) });
    assert.equal(r.status, 403);
    assert.equal(((await r.json()) as any).error.code, 'ARTIFACT_NOT_ROLLED_OUT');

    // The agent is not running yet: gw1's target stays open while the checks below run.
    commandId = JSON.parse((await cli(['rollout', 'fw-image', '9', '--gateway', 'gw1', '--json'])).stdout).command.id as string;

    r = await get(sha, {});
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate') ?? '', /^Basic /);
    assert.equal((await get(sha, { authorization: basic('gw1', 'wrong-secret') })).status, 401);
    assert.equal((await get(sha, { authorization: `Bearer ${token}` })).status, 401, 'the operator token is not a gateway credential');

    r = await get(sha, { authorization: basic('gw2', secrets.gw2!) });
    assert.equal(r.status, 403, 'gw2 has no rollout of it');
    assert.equal(((await r.json()) as any).error.code, 'ARTIFACT_NOT_ROLLED_OUT');

    const gw1 = { authorization: basic('gw1', secrets.gw1!) };
    r = await get(sha, gw1, 'HEAD');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-length'), String(SIZE));
    assert.equal(r.headers.get('accept-ranges'), 'bytes');
    r = await get(sha, { ...gw1, range: 'bytes=1000-1999' });
    assert.equal(r.status, 206);
    assert.equal(r.headers.get('content-range'), `bytes 1000-1999/${SIZE}`);
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), content.subarray(1000, 2000));
    r = await get(sha, { ...gw1, range: `bytes=${SIZE}-` });
    assert.equal(r.status, 416);
    assert.equal(r.headers.get('content-range'), `bytes */${SIZE}`);
    await r.arrayBuffer();

    // The same rule over MQTT: gw2's chunk request is answered with the refusal, not the bytes.
    const c = mqtt.connect(`mqtt://127.0.0.1:${cloud.port}`, { clientId: 'gw2', username: 'gw2', password: secrets.gw2!, protocolVersion: 5, reconnectPeriod: 0 });
    try {
      await new Promise<void>((resolve, reject) => {
        c.once('connect', () => c.subscribe(formatTopic({ kind: 'file-chunk', gateway: 'gw2', reqId: CHUNK_LANE }), { qos: 0 }, (err) => (err ? reject(err) : resolve())));
        c.once('error', reject);
      });
      const answer = new Promise<ReturnType<typeof decodeChunkAnswer>>((resolve) => c.on('message', (_t, p) => resolve(decodeChunkAnswer(p))));
      c.publish(formatTopic({ kind: 'file-req', gateway: 'gw2', reqId: CHUNK_LANE }), encodeChunkRequest({ sha256: sha, index: 0, nonce: 'n1' }), { qos: 1 });
      const a = await Promise.race([answer, sleep(15_000).then(() => undefined)]);
      assert.ok(a !== undefined, 'an answer came');
      assert.equal(a.error?.code, 'ARTIFACT_NOT_ROLLED_OUT');
      assert.equal(a.data.length, 0);
    } finally {
      c.end(true);
    }
  });

  it('a real agent downloads over HTTP, resumes with a Range from the bytes on disk after a link cut, and installs the exact bytes', async () => {
    startEdge();

    await waitFor('2 MiB downloaded', 60_000, () => ((partialSize(sha) ?? 0) >= 2 * 1024 * 1024 ? true : undefined));
    proxy.cut();
    const atCut = partialSize(sha)!;
    await sleep(1500);
    proxy.restore();

    const t = await waitFor('install finished', 90_000, async () => {
      const x = (await call('GET', `/v1/commands/${commandId}/targets`)).targets[0];
      return ['SUCCEEDED', 'FAILED', 'TIMED_OUT'].includes(x.state) ? x : undefined;
    });
    assert.equal(t.state, 'SUCCEEDED', JSON.stringify(t));
    assert.deepEqual(readFileSync(join(dir, 'gw1', 'files', 'fw-image')), content);
    const { fetchedBytes, refetchedBytes } = t.output as { fetchedBytes: number; refetchedBytes: number };
    assert.equal(fetchedBytes, SIZE);
    assert.ok(refetchedBytes <= 2 * CHUNK, `re-fetched ${refetchedBytes} bytes: at most the chunk in flight`);

    // The resume asked from where the verified bytes ended, not from zero.
    const resumes = edgeLog.filter((l) => l.includes('resuming with a range request')).map((l) => JSON.parse(l) as { fromByte: number });
    assert.ok(resumes.length >= 1, 'the cut was noticed');
    assert.ok(resumes.every((x) => x.fromByte >= atCut - CHUNK && x.fromByte > 0), `resumed from ${resumes.map((x) => x.fromByte).join(', ')}, ${atCut} bytes were on disk at the cut`);
    const rangeResumes = await metric(edgeHealth, 'causeway_files', 'what="http_range_resumes"');
    const received = await metric(edgeHealth, 'causeway_files', 'what="http_bytes"');
    assert.ok(rangeResumes >= 1, `${rangeResumes} range requests from past byte 0`);
    assert.ok(received < SIZE + 2 * 1024 * 1024, `received ${received} bytes over HTTP: less than the artifact plus the ${atCut} bytes it had at the cut`);
    assert.ok(!edgeLog.some((l) => l.includes(secrets.gw1!)), 'the secret is in no log line');

    // The cloud counts what it served, per artifact and per transport.
    const list = (await call('GET', '/v1/artifacts')) as { artifacts: Array<{ sha256: string; served: { bytes: number; requests: number } }>; served: Record<string, { requests: number; servedBytes: number; refused: number }> };
    const a = list.artifacts.find((x) => x.sha256 === sha)!;
    assert.ok(a.served.bytes >= SIZE, `served ${a.served.bytes}`);
    assert.ok(list.served.http!.refused >= 3, 'the 403s and the 416 are counted');
    assert.ok(list.served.mqtt!.refused >= 1, 'the MQTT refusal is counted');
    assert.equal(await metric(cloudHealth, 'causeway_artifacts', 'transport="http",counter="servedBytes"'), list.served.http!.servedBytes);
    console.log(`      ${SIZE} bytes over HTTP; cut at ${atCut}, resumed from ${resumes.map((x) => x.fromByte).join(', ')}; received ${received}, re-fetched ${refetchedBytes}; cloud served ${a.served.bytes} in ${a.served.requests} requests`);
  });

  it('after a kill -9 mid-download the restarted agent resumes from its last verified chunk: the cloud serves the rest, not the whole again', async () => {
    const image = randomBytes(SIZE);
    writeFileSync(join(dir, 'image-10.bin'), image);
    const out = (await cli(['file', 'publish', join(dir, 'image-10.bin'), '--name', 'fw-image', '--version', '10', '--key', join(dir, 'release-key.pem')])).stdout;
    const sha10 = /sha256 ([0-9a-f]{64})/.exec(out)![1]!;
    const servedOf = async (): Promise<{ bytes: number; requests: number }> => ((await call('GET', '/v1/artifacts')) as { artifacts: Array<{ sha256: string; served: { bytes: number; requests: number } }> }).artifacts.find((x) => x.sha256 === sha10)!.served;
    const id = JSON.parse((await cli(['rollout', 'fw-image', '10', '--gateway', 'gw1', '--json'])).stdout).command.id as string;

    // Paced at files.maxBytesPerSecond (1 MiB/s), so the kill lands mid-transfer.
    await waitFor('3 MiB of version 10 downloaded', 60_000, () => ((partialSize(sha10) ?? 0) >= 3 * 1024 * 1024 ? true : undefined));
    const killed = edge!;
    killed.kill('SIGKILL');
    await new Promise((r) => killed.once('exit', r));
    const atKill = partialSize(sha10)!;
    assert.ok(atKill < SIZE, `killed mid-download (${atKill} of ${SIZE} bytes on disk)`);
    // What the cloud sent before the kill, socket buffers included: settled once it has seen the
    // connection go (polled until it stops moving, nothing else asks for this artifact meanwhile).
    let before = await servedOf();
    for (let settled = 0, deadline = Date.now() + 30_000; settled < 3; ) {
      assert.ok(Date.now() < deadline, `the cloud's served count for ${sha10} settled after the kill (${before.bytes})`);
      await sleep(300);
      const now = await servedOf();
      settled = now.bytes === before.bytes ? settled + 1 : 0;
      before = now;
    }

    startEdge();
    const t = await waitFor('install of version 10 finished', 90_000, async () => {
      const x = (await call('GET', `/v1/commands/${id}/targets`)).targets[0];
      return ['SUCCEEDED', 'FAILED', 'TIMED_OUT'].includes(x.state) ? x : undefined;
    });
    assert.equal(t.state, 'SUCCEEDED', JSON.stringify(t));
    const installed = readFileSync(join(dir, 'gw1', 'files', 'fw-image'));
    assert.equal(createHash('sha256').update(installed).digest('hex'), sha10, 'the installed file hashes to the signed sha256');
    assert.deepEqual(installed, image);

    // The restarted agent went on from a chunk near the bytes on disk at the kill (one written but not
    // yet committed may be fetched again), with a Range request, not from byte 0.
    const resumed = edgeLog.filter((l) => l.includes('"download resumed"')).map((l) => JSON.parse(l) as { msg?: string; chunk?: number }).find((l) => l.msg === 'download resumed');
    assert.ok(resumed?.chunk !== undefined, 'the restarted agent logged where it resumed');
    assert.ok(resumed.chunk * CHUNK >= atKill - 2 * CHUNK, `resumed at chunk ${resumed.chunk}, ${atKill} bytes were on disk at the kill`);
    assert.ok((await metric(edgeHealth, 'causeway_files', 'what="http_range_resumes"')) >= 1, 'the restarted agent asked with a Range past byte 0');
    // Bounds with room for one stalled window (files.chunkTimeoutMs on a loaded machine) besides the
    // chunk written but not committed at the kill; from zero would be the whole artifact.
    const slack = (WINDOW_CHUNKS + 1) * CHUNK;
    const received = await metric(edgeHealth, 'causeway_files', 'what="http_bytes"');
    assert.ok(received <= SIZE - atKill + slack, `the restarted agent received ${received} bytes: the ${SIZE - atKill} missing at the kill and at most ${slack} more`);

    // The cloud's own count: after the restart it served the rest of the artifact, not the whole again.
    const after = await servedOf();
    const servedAfterKill = after.bytes - before.bytes;
    assert.ok(servedAfterKill >= SIZE - resumed.chunk * CHUNK, `served ${servedAfterKill} bytes after the restart`);
    assert.ok(servedAfterKill <= SIZE - atKill + slack, `re-fetch bounded: the cloud served ${servedAfterKill} bytes after the restart for the ${SIZE - atKill} missing at the kill`);
    // And over the whole download, kill included: the agent asks a window of WINDOW_CHUNKS chunks at a
    // time, so what the kill threw away (socket buffers too) is at most a window, plus the slack above.
    // An open-ended range had the whole artifact sent before the kill and 5 MiB of it again after.
    assert.ok(after.bytes <= SIZE + WINDOW_CHUNKS * CHUNK + slack, `the cloud served ${after.bytes} bytes in all for ${SIZE}: at most a window lost at the kill and ${slack} more`);
    const { fetchedBytes, refetchedBytes } = t.output as { fetchedBytes: number; refetchedBytes: number };
    assert.equal(fetchedBytes, SIZE);
    assert.ok(refetchedBytes <= 2 * CHUNK, `re-fetched ${refetchedBytes} bytes: at most the chunks in flight at the kill`);
    console.log(`      killed at ${atKill} of ${SIZE} bytes; resumed at chunk ${resumed.chunk}; the cloud served ${before.bytes} before the kill, ${servedAfterKill} after; the agent re-fetched ${refetchedBytes}`);
  });
});
