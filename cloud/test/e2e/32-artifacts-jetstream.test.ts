import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parsePublicKey } from '@causeway/shared';
import { natsForSuite } from '../store/jetstream-server.js';
import { apiCall, type BrokerProcess, removeDir, startBroker, tempDir, waitFor } from './fixtures/broker-process.js';
import { startInstallGateway, type InstallGateway } from './fixtures/install-gateway.js';

const run = promisify(execFile);
const SIZE = 3 * 1024 * 1024 + 17;

/**
 * Artifacts on a scaled-out cluster (issue 17): two causeway-cloud processes on one real nats-server. A
 * file published through node A with the CLI is then, with A stopped, listed by node B, served by B over
 * HTTP byte ranges to a gateway, and downloaded chunk by chunk over MQTT by a gateway connected to B —
 * the content comes from JetStream (Object Store + KV) into B's empty node-local cache, not from A's disk.
 */
describe('cloud e2e 32: artifacts published on node A, served by node B on JetStream @e2e', function () {
  this.timeout(90_000);
  const nats = natsForSuite(1);
  const token = 'operator-token-for-cloud-e2e-32';
  const prefix = `e32${randomBytes(3).toString('hex')}`;
  let dir: string;
  let a: BrokerProcess | undefined;
  let b: BrokerProcess;
  let gw: InstallGateway | undefined;
  let pub: string;
  const data = randomBytes(SIZE);
  const sha = createHash('sha256').update(data).digest('hex');

  const node = (id: string): Promise<BrokerProcess> =>
    startBroker(join(dir, id), [
      '--config', join(dir, 'cloud.json'),
      '--auth.allowAnonymous', 'false',
      '--store.backend', 'jetstream',
      '--store.jetstream.servers', nats.urls.join(','),
      '--store.jetstream.prefix', prefix,
      '--node.id', id,
    ]);
  const api = (n: BrokerProcess, method: string, path: string, body?: unknown): Promise<any> => apiCall(`http://127.0.0.1:${n.apiPort}`, token, method, path, body);
  const cli = (n: BrokerProcess, args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', '--url', `http://127.0.0.1:${n.apiPort}`, ...args], { env: { ...process.env, CAUSEWAY_TOKEN: token }, timeout: 60_000 });

  nats.closeFirst(async () => {
    await gw?.stop().catch(() => undefined);
    await a?.stop();
    await b?.stop();
  });
  before(async () => {
    dir = tempDir('e2e32');
    const keys = await run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', 'keys', 'init', '--key', join(dir, 'release-key.pem')]);
    pub = keys.stdout.trim().split('\n').at(-1)!;
    writeFileSync(join(dir, 'cloud.json'), JSON.stringify({ files: { trustedKeys: [pub] }, api: { operatorToken: token } }));
    [a, b] = await Promise.all([node('node-a'), node('node-b')]);
    writeFileSync(join(dir, 'tiles.bin'), data);
  });
  after(() => {
    if (dir !== undefined) removeDir(dir);
  });

  it('lists on node B, after A is stopped, what the CLI published through node A', async () => {
    const out = (await cli(a!, ['file', 'publish', join(dir, 'tiles.bin'), '--name', 'tiles', '--version', '1', '--key', join(dir, 'release-key.pem')])).stdout;
    assert.match(out, new RegExp(`published tiles 1: ${SIZE} bytes, sha256 ${sha}`));
    assert.equal(existsSync(join(dir, 'node-a', 'artifacts')), false, 'no node-local artifacts directory on JetStream');
    await a!.stop();
    a = undefined;
    const list = await api(b, 'GET', '/v1/artifacts');
    assert.deepEqual(list.artifacts.map((x: any) => [x.name, x.version, x.sha256, x.size]), [['tiles', '1', sha, SIZE]]);
    assert.equal(list.storedBytes, SIZE);
    assert.deepEqual(await api(b, 'GET', `/v1/blobs/${sha}`), { sha256: sha, size: SIZE });
    assert.equal((await api(b, 'GET', '/v1/artifacts/tiles/1/manifest')).manifest.sha256, sha);
  });

  it('serves the content from node B over HTTP ranges and MQTT chunks to gateways rolled out to', async () => {
    const web = await api(b, 'POST', '/v1/devices', { id: 'gw-web', groups: ['depot'] });
    const mq = await api(b, 'POST', '/v1/devices', { id: 'gw-mqtt', groups: ['depot'] });
    assert.deepEqual(readdirSync(join(dir, 'node-b', 'artifacts-cache')), [], 'B has not read the content yet');
    gw = await startInstallGateway({ port: b.port, id: 'gw-mqtt', password: mq.secret, trusted: [parsePublicKey(pub)] });
    // At a rate, a rollout is sent gateway by gateway (cmd/<gateway>/…), which the simulated gateway subscribes to.
    const id = (await api(b, 'POST', '/v1/rollouts', { name: 'tiles', version: '1', group: 'depot', ttlSeconds: 120, rolloutPerMinute: 6000 })).command.id as string;

    // gw-web is offline over MQTT, so its target stays open and it may fetch over HTTP meanwhile.
    const url = `http://127.0.0.1:${b.apiPort}/v1/gateway/artifacts/${sha}`;
    const basic = { authorization: `Basic ${Buffer.from(`gw-web:${web.secret}`).toString('base64')}` };
    const part = await fetch(url, { headers: { ...basic, range: 'bytes=1000000-2000099' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 1000000-2000099/${SIZE}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), data.subarray(1_000_000, 2_000_100));
    const whole = Buffer.from(await (await fetch(url, { headers: basic })).arrayBuffer());
    assert.equal(createHash('sha256').update(whole).digest('hex'), sha);

    await waitFor('gw-mqtt installed it', 20_000, () => (gw!.finished.get(id) === 'SUCCEEDED' ? true : undefined), { everyMs: 100 });
    assert.equal(gw.bytes, SIZE, 'every chunk once, each checked against the manifest by the gateway');
    assert.deepEqual(readdirSync(join(dir, 'node-b', 'artifacts-cache')), [sha], "B's node-local cache holds the content once");
    // B served it all: over MQTT once to gw-mqtt, over HTTP a range and the whole to gw-web.
    const { served } = await api(b, 'GET', '/v1/artifacts');
    assert.equal(served.mqtt.servedBytes, SIZE, JSON.stringify(served));
    assert.equal(served.http.servedBytes, SIZE + 1_000_100, JSON.stringify(served));
  });

  it('knows on node B the content published through A: the CLI through B uploads nothing again', async () => {
    const out = (await cli(b, ['file', 'publish', join(dir, 'tiles.bin'), '--name', 'tiles', '--version', '1', '--key', join(dir, 'release-key.pem')])).stdout;
    assert.match(out, /already published tiles 1: .*content already stored/);
  });
});
