import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, closeSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { buildSea, REPO_ROOT, type BuildResult } from '../../package/build-sea.js';
import { TARGETS } from '../../package/targets.js';
import { startCollector, type Collector } from '../helpers/collector.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';

const PROBE = fileURLToPath(new URL('./fixtures/serial-probe.ts', import.meta.url));
const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;
// A clean environment: no NODE_OPTIONS (mocha's `--import tsx` would be honoured by the SEA and fail
// in an empty folder), no NODE_PATH, nothing that could lead it back to the repository.
const CLEAN_ENV = { PATH: '/usr/bin:/bin', HOME: tmpdir() };

/** Copies only what a release ships (binary, native/, package.json) into a new empty folder. */
function installInEmptyFolder(built: BuildResult, parent: string, name: string): string {
  const app = join(parent, name);
  mkdirSync(app);
  assert.deepEqual(readdirSync(app), [], 'the target folder starts empty');
  const from = join(built.binary, '..');
  for (const f of readdirSync(from)) cpSync(join(from, f), join(app, f), { recursive: true });
  return app;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function waitUntil(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

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
    const gw = 'gw-sea-1';
    const store = join(tmp, 'data', 'outbox.db');
    const t0 = performance.now();
    const proc = spawn('./causeway-edge', ['--gateway.id', gw, '--cloud.url', broker.url, '--store.path', store, '--input.stdin', 'true', '--input.stdinAck', 'true'], {
      cwd: app,
      env: CLEAN_ENV,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    procs.push(proc);
    let stderr = '';
    let acked = 0;
    const logs: Array<Record<string, unknown>> = [];
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      try {
        const o = JSON.parse(line) as Record<string, unknown>;
        if (typeof o.ack === 'number') acked = Math.max(acked, o.ack);
        else logs.push(o);
      } catch {
        // not JSON: ignore
      }
    });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const isStatus = (online: boolean) => () => sub!.all.some((m) => m.topic === `status/${gw}` && m.env.type === 'status' && m.env.online === online);

    await waitUntil(() => isStatus(true)() || proc.exitCode !== null, 20_000, 'the online status').catch((err) => {
      throw new Error(`${(err as Error).message}; stderr: ${stderr.slice(-800)}; logs: ${JSON.stringify(logs.slice(-5))}`);
    });
    assert.equal(proc.exitCode, null, `the agent died: ${stderr}`);
    const onlineMs = performance.now() - t0;

    // better-sqlite3 loaded from native/: the outbox is a real SQLite file (header) in WAL mode.
    assert.ok(existsSync(store), 'outbox file created');
    const head = Buffer.alloc(16);
    const fd = openSync(store, 'r');
    readSync(fd, head, 0, 16, 0);
    closeSync(fd);
    assert.equal(head.toString('latin1'), 'SQLite format 3\0');
    assert.ok(existsSync(`${store}-wal`), 'WAL file beside it');
    assert.ok(logs.some((l) => l.msg === 'outbox open'), 'logged the outbox open');

    const ts = 1_700_000_000_000;
    proc.stdin!.write(`${JSON.stringify({ device: 'dev-sea', stream: 'temp', ts, value: 21.5, unit: 'C' })}\n`);
    await waitUntil(() => acked >= 1, 10_000, 'the stdin ack (durable commit)');
    await waitUntil(() => sub!.readings.has(`dev-sea/temp/${ts}`), 10_000, 'the reading at the broker');

    proc.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    await waitUntil(isStatus(false), 5000, 'the offline status');
    assert.ok(!/Warning|only supports loading built-in modules/.test(stderr), `stderr is clean: ${stderr}`);
    console.log(`      start → online status at the broker: ${onlineMs.toFixed(0)} ms`);
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
