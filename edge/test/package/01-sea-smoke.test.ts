import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSea, REPO_ROOT, type BuildResult } from '../../package/build-sea.js';
import { TARGETS } from '../../package/targets.js';
import { startCollector, type Collector } from '../helpers/collector.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { CLEAN_ENV, installInEmptyFolder, mb, median, runAgainstBroker, waitUntil } from './sea-run.js';

const PROBE = fileURLToPath(new URL('./fixtures/serial-probe.ts', import.meta.url));

describe('package 01-sea-smoke: causeway-edge as one executable, run from an empty folder @e2e', function () {
  this.timeout(90_000);
  let tmp: string;
  let built: BuildResult;
  let app: string;
  let broker: Mosquitto | undefined;
  let sub: Collector | undefined;
  const procs: ChildProcess[] = [];
  const buildLog: string[] = [];

  before(async function () {
    if (process.platform !== 'linux' || process.arch !== 'x64') this.skip();
    tmp = mkdtempSync(join(tmpdir(), 'sea-smoke-'));
    const hasStrip = spawnSync('strip', ['--version'], { stdio: 'ignore' }).status === 0;
    built = await buildSea({ target: TARGETS['linux-x64'], nodeBinary: process.execPath, outDir: join(tmp, 'build', 'linux-x64'), strip: hasStrip, codeCache: true, progress: (l) => buildLog.push(l) });
    app = installInEmptyFolder(built, tmp, 'app');
    console.log(`      built in ${(built.ms / 1000).toFixed(1)} s: binary ${mb(built.bytes.binary)} + native ${mb(built.bytes.native)} = ${mb(built.bytes.total)} (bundle ${mb(built.bytes.bundle)}, blob ${mb(built.bytes.blob)})`);
  });
  after(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await sub?.close();
    await broker?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('the build printed its steps and shipped exactly the binary, two addons and package.json', () => {
    for (const step of ['[1/5] bundle', '[2/5] SEA blob', '[3/5] copy', '[4/5] native addons', '[5/5] done']) {
      assert.ok(buildLog.some((l) => l.startsWith(step)), `progress line ${step} in ${buildLog.join('\n')}`);
    }
    assert.deepEqual(readdirSync(app).sort(), ['causeway-edge', 'native', 'package.json']);
    assert.deepEqual(readdirSync(join(app, 'native')).sort(), ['better_sqlite3.node', 'serialport_bindings.node']);
    assert.ok(statSync(join(app, 'causeway-edge')).mode & 0o100, 'executable');
  });

  it('--version prints the package version, --help the config keys; time to exit measured', () => {
    const want = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync('./causeway-edge', ['--version'], { cwd: app, env: CLEAN_ENV, encoding: 'utf8', timeout: 10_000 });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `${want}\n`);
      assert.equal(r.stderr, '', 'no SEA or deprecation warning on stderr');
    }
    const help = spawnSync('./causeway-edge', ['--help'], { cwd: app, env: CLEAN_ENV, encoding: 'utf8', timeout: 10_000 });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^causeway-edge \d+\.\d+\.\d+/);
    for (const key of ['gateway.id', 'cloud.url', 'store.path']) assert.ok(help.stdout.includes(key), `--help lists ${key}`);
    console.log(`      --version: median ${median(times).toFixed(0)} ms of 5 runs (min ${Math.min(...times).toFixed(0)} ms)`);
  });

  it('exits 78 on a bad config, naming the key', () => {
    const r = spawnSync('./causeway-edge', ['--gateway.id', 'gw/bad', '--store.path', join(tmp, 'x.db')], { cwd: app, env: CLEAN_ENV, encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 78, r.stderr);
    assert.match(r.stderr, /gateway\.id/);
  });

  it('against a real mosquitto: opens its SQLite outbox, goes online, forwards a stdin reading, drains on SIGTERM', async () => {
    broker = await startMosquitto();
    sub = await startCollector(broker.url);
    const run = await runAgainstBroker({ app, brokerUrl: broker.url, sub, gw: 'gw-sea-1', store: join(tmp, 'data', 'outbox.db'), timeoutMs: 20_000, procs });
    console.log(`      start → online status at the broker: ${run.onlineMs.toFixed(0)} ms`);
  });

  it('the executable alone in an empty folder (a self-update release) unpacks native/ and package.json, then runs', async () => {
    const lone = join(tmp, 'lone');
    mkdirSync(lone);
    copyFileSync(built.binary, join(lone, 'causeway-edge'));
    const v = spawnSync('./causeway-edge', ['--version'], { cwd: lone, env: CLEAN_ENV, encoding: 'utf8', timeout: 10_000 });
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stdout, `${(JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version}\n`);
    assert.deepEqual(readdirSync(lone).sort(), ['causeway-edge', 'native', 'package.json']);
    for (const f of ['better_sqlite3.node', 'serialport_bindings.node']) {
      assert.ok(readFileSync(join(lone, 'native', f)).equals(readFileSync(join(app, 'native', f))), `native/${f} is the shipped addon, byte for byte`);
    }
    broker ??= await startMosquitto();
    sub ??= await startCollector(broker.url);
    await runAgainstBroker({ app: lone, brokerUrl: broker.url, sub, gw: 'gw-sea-lone', store: join(tmp, 'data-lone', 'outbox.db'), timeoutMs: 20_000, procs });
  });

  it('serialport loads its shipped addon inside a SEA: a probe binary talks across a socat PTY pair', async function () {
    if (spawnSync('socat', ['-V'], { stdio: 'ignore' }).status !== 0) this.skip();
    const probe = await buildSea({ target: TARGETS['linux-x64'], nodeBinary: process.execPath, outDir: join(tmp, 'build', 'probe'), entry: PROBE, strip: false });
    const dir = installInEmptyFolder(probe, tmp, 'probe-app');
    const [a, b] = [join(tmp, 'pty-a'), join(tmp, 'pty-b')];
    const socat = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
    procs.push(socat);
    await waitUntil(() => existsSync(a) && existsSync(b), 5000, 'socat PTYs');
    const r = spawnSync('./causeway-edge', [a, b], { cwd: dir, env: CLEAN_ENV, encoding: 'utf8', timeout: 15_000 });
    assert.equal(r.stdout.trim(), 'echo ok', r.stderr);
    assert.equal(r.status, 0);
    socat.kill('SIGTERM');
  });
});
