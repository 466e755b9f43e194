import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { apiCall, startBroker, type BrokerProcess, waitFor as waitForValue } from '../../../cloud/test/e2e/fixtures/broker-process.js';

const run = promisify(execFile);

/**
 * Signed file delivery end to end with real processes (issue 17): `causeway keys init` → `causeway file
 * publish` → causeway-cloud (content stored once) → `causeway rollout` → causeway-edge fetches the chunks
 * over its MQTT link, verifies and installs atomically; and every refusal (untrusted key, wrong target,
 * path escape, corrupted content, full disk) ends the target FAILED with the reason and installs nothing.
 */
describe('edge e2e 30: signed file delivery, refusals @e2e', function () {
  this.timeout(180_000);
  let dir: string;
  let cloud: BrokerProcess;
  let api: string;
  let token: string;
  let trusted: string;
  let other: string;
  const procs: ChildProcess[] = [];
  const secrets: Record<string, string> = {};

  const call = (method: string, path: string, body?: unknown): Promise<any> => apiCall(api, token, method, path, body);
  const cli = (args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', '--url', api, ...args], { env: { ...process.env, CAUSEWAY_TOKEN: token }, timeout: 60_000 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  const waitFor = <T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> => waitForValue(what, ms, probe, { everyMs: 200 });
  const root = (gw: string): string => join(dir, gw, 'files');
  const startEdge = (gw: string, files: Record<string, unknown> = {}): ChildProcess => {
    const cfg = {
      gateway: { id: gw },
      cloud: { url: `mqtt://127.0.0.1:${cloud.port}`, username: gw, password: secrets[gw], backoffBaseMs: 100, backoffMaxMs: 1000 },
      store: { path: join(dir, gw, 'outbox.db') },
      files: { root: root(gw), trustedKeys: [trusted], chunkTimeoutMs: 3000, ...files },
    };
    mkdirSync(join(dir, gw), { recursive: true });
    writeFileSync(join(dir, `${gw}.json`), JSON.stringify(cfg));
    const p = spawn(process.execPath, ['--import', 'tsx', 'edge/src/main.ts', '--config', join(dir, `${gw}.json`)], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.resume();
    p.stderr!.resume();
    procs.push(p);
    return p;
  };
  const online = (gw: string) => waitFor(`${gw} online`, 30_000, async () => ((await call('GET', `/v1/devices/${gw}`)).online ? true : undefined));
  const publish = async (file: string, name: string, version: string, extra: string[] = [], key = join(dir, 'release-key.pem')) => {
    const r = await cli(['file', 'publish', file, '--name', name, '--version', version, '--key', key, ...extra]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  const rollout = async (name: string, version: string, gw: string, extra: string[] = []): Promise<string> => {
    const r = await cli(['rollout', name, version, '--gateway', gw, '--json', ...extra]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).command.id as string;
  };
  const finalTarget = (id: string) =>
    waitFor(`command ${id} finished`, 60_000, async () => {
      const t = (await call('GET', `/v1/commands/${id}/targets`)).targets[0];
      return ['SUCCEEDED', 'FAILED', 'REJECTED', 'TIMED_OUT', 'EXPIRED', 'CANCELED', 'ROLLED_BACK'].includes(t.state) ? t : undefined;
    });
  const installedFiles = (gw: string): string[] => (existsSync(root(gw)) ? readdirSync(root(gw), { recursive: true }).map(String).filter((f) => !f.startsWith('.partial') && statSync(join(root(gw), f)).isFile()) : []);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-e2e-files-'));
    token = 'operator-token-for-e2e-30-files';
    // Two release keys: the cloud trusts both, the gateways only the first.
    const keys = async (file: string): Promise<string> => {
      const r = await run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', 'keys', 'init', '--key', file]);
      return r.stdout.trim().split('\n').at(-1)!;
    };
    trusted = await keys(join(dir, 'release-key.pem'));
    other = await keys(join(dir, 'other-key.pem'));
    writeFileSync(join(dir, 'cloud.json'), JSON.stringify({ files: { trustedKeys: [trusted, other] }, api: { operatorToken: token } }));
    cloud = await startBroker(join(dir, 'cloud'), ['--config', join(dir, 'cloud.json'), '--auth.allowAnonymous', 'false']);
    api = `http://127.0.0.1:${cloud.apiPort}`;
    for (const gw of ['gw1', 'gw2', 'gw3']) secrets[gw] = (await call('POST', '/v1/devices', { id: gw })).secret;
  });
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keys init writes the private key mode 0600 and never overwrites it', async () => {
    assert.equal(statSync(join(dir, 'release-key.pem')).mode & 0o777, 0o600);
    const again = await cli(['keys', 'init', '--key', join(dir, 'release-key.pem')]);
    assert.equal(again.code, 64);
    assert.match(again.stderr, /never overwritten/);
  });

  it('a published file is stored once and lands on the gateway at its path, verified, with its version reported', async () => {
    const content = randomBytes(1024 * 1024 + 12345); // 5 chunks of 256 KiB, the last one short
    writeFileSync(join(dir, 'maps.bin'), content);
    assert.match(await publish(join(dir, 'maps.bin'), 'maps-north', '2026-12', ['--path', 'maps/north.bin']), /published maps-north 2026-12/);
    // The same content under another version is not stored again.
    assert.match(await publish(join(dir, 'maps.bin'), 'maps-north', '2026-12b', ['--path', 'maps/north.bin']), /content already stored/);
    const listed = await call('GET', '/v1/artifacts');
    assert.equal(listed.storedBytes, content.length);
    assert.equal(readdirSync(join(dir, 'cloud', 'artifacts', 'blobs')).length, 1);

    startEdge('gw1');
    await online('gw1');
    const id = await rollout('maps-north', '2026-12', 'gw1');
    const t = await finalTarget(id);
    assert.equal(t.state, 'SUCCEEDED', JSON.stringify(t));
    assert.equal(t.output.version, '2026-12');
    assert.equal(t.output.refetchedBytes, 0);
    assert.deepEqual(readFileSync(join(root('gw1'), 'maps', 'north.bin')), content);
    assert.deepEqual(installedFiles('gw1'), [join('maps', 'north.bin')]);
    const status = await run(process.execPath, ['--import', 'tsx', 'edge/src/main.ts', 'status', '--json', '--store.path', join(dir, 'gw1', 'outbox.db')]);
    assert.equal(JSON.parse(status.stdout).files.installed['maps-north'].version, '2026-12');
    assert.equal((await call('GET', `/v1/commands/${id}`)).command.status, 'COMPLETED');
    // The chunks went to the gateway's connection unstored: the message log did not take the artifact again.
    const chunks = (await call('GET', '/v1/stats')).chunks;
    assert.ok(chunks.bytes >= content.length, JSON.stringify(chunks));
    assert.equal(chunks.stored, 0);
  });

  it('refuses, with the reason and nothing installed: an untrusted key, a wrong target, a path escape, corrupted content, a full disk', async () => {
    writeFileSync(join(dir, 'small.bin'), randomBytes(300_000));
    const before = installedFiles('gw1');

    await publish(join(dir, 'small.bin'), 'dbc', 'other-key', [], join(dir, 'other-key.pem'));
    let t = await finalTarget(await rollout('dbc', 'other-key', 'gw1'));
    assert.equal(t.state, 'FAILED');
    assert.match(t.reason, /ARTIFACT_UNTRUSTED: signed with key \w+, which is not among the 1 trusted key/);

    await publish(join(dir, 'small.bin'), 'dbc', 'riscv', ['--target', 'linux-riscv64']);
    t = await finalTarget(await rollout('dbc', 'riscv', 'gw1', ['--target', 'linux-riscv64']));
    assert.equal(t.state, 'FAILED');
    assert.match(t.reason, /ARTIFACT_WRONG_TARGET: dbc riscv is for linux-riscv64, this gateway is linux-/);

    await publish(join(dir, 'small.bin'), 'dbc', 'escape', ['--path', '../../escaped.bin']);
    t = await finalTarget(await rollout('dbc', 'escape', 'gw1'));
    assert.equal(t.state, 'FAILED');
    assert.match(t.reason, /FILE_PATH_ESCAPE: path "..\/..\/escaped.bin" leaves files.root/);
    assert.equal(existsSync(join(dir, 'escaped.bin')), false);

    // Content damaged in the cloud's store after it was published: the gateway's chunk hashes catch it.
    writeFileSync(join(dir, 'damaged.bin'), randomBytes(600_000));
    const out = await publish(join(dir, 'damaged.bin'), 'dbc', 'damaged');
    const sha = /sha256 ([0-9a-f]{64})/.exec(out)![1]!;
    truncateSync(join(dir, 'cloud', 'artifacts', 'blobs', sha), 400_000);
    t = await finalTarget(await rollout('dbc', 'damaged', 'gw1'));
    assert.equal(t.state, 'FAILED');
    assert.match(t.reason, /FILE_CHUNK_MISMATCH|chunk 1/);
    assert.equal(existsSync(join(root('gw1'), '.partial', sha)), false, 'the partial download is deleted');

    // A gateway whose disk cannot hold the download (a reserve larger than any disk).
    startEdge('gw2', { minFreeBytes: 1e15 });
    await online('gw2');
    t = await finalTarget(await rollout('maps-north', '2026-12', 'gw2'));
    assert.equal(t.state, 'FAILED');
    assert.match(t.reason, /FILE_DISK_FULL: not enough disk space/);
    assert.deepEqual(installedFiles('gw2'), []);
    assert.deepEqual(installedFiles('gw1'), before);
  });

  it('the cloud refuses a manifest whose signature does not match, and deleting an artifact a rollout uses', async () => {
    const signed = await call('GET', '/v1/artifacts/maps-north/2026-12/manifest');
    const forged = { ...signed, manifest: { ...signed.manifest, version: '2026-13' } };
    const r = await fetch(`${api}/v1/artifacts`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(forged) });
    assert.equal(r.status, 403);
    assert.equal(((await r.json()) as any).error.code, 'ARTIFACT_BAD_SIGNATURE');

    // gw3 never connects: its rollout stays open, so the artifact may not be deleted.
    const first = await rollout('maps-north', '2026-12', 'gw3');
    const del = await cli(['file', 'delete', 'maps-north', '2026-12']);
    assert.notEqual(del.code, 0);
    assert.match(del.stderr, /being rolled out/);
    // A newer rollout of the same name to the same gateway supersedes the old one.
    const second = await rollout('maps-north', '2026-12b', 'gw3');
    const old = await finalTarget(first);
    assert.equal(old.state, 'CANCELED');
    assert.equal(old.reason, `superseded by rollout ${second}`);
    assert.equal((await cli(['file', 'delete', 'maps-north', '2026-12'])).code, 0);
    // The content is still stored: 2026-12b names it.
    assert.equal((await call('GET', '/v1/artifacts')).storedBytes, 1024 * 1024 + 12345 + 300_000 + 600_000);
  });
});
