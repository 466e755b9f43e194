import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSea, REPO_ROOT, type BuildResult } from '../../package/build-sea.js';
import { cachedCross, type CrossPrereqs } from '../../package/cross-prereqs.js';
import { elfMachineOfFile, TARGETS } from '../../package/targets.js';
import { startCollector, type Collector } from '../helpers/collector.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { CLEAN_ENV, installInEmptyFolder, mb, runAgainstBroker, waitUntil } from './sea-run.js';

const PROBE = fileURLToPath(new URL('./fixtures/serial-probe.ts', import.meta.url));

/**
 * The linux-arm64 binary, cross-built here and run under qemu-user. Needs what
 * `npm run package -- --target linux-arm64` leaves in dist/package/.cache (Node's arm64 build from
 * npm and a cross-compiled better_sqlite3.node, ~2 min the first time) and qemu-user; skipped, with
 * the reason printed, when they are absent. QEMU times are emulation, not a Raspberry Pi's.
 */
describe('package 02-sea-arm64-qemu: the cross-built linux-arm64 executable runs under qemu-user @e2e', function () {
  this.timeout(120_000);
  const arm64 = TARGETS['linux-arm64'];
  let tmp: string | undefined;
  let pre: CrossPrereqs | undefined;
  let built: BuildResult;
  let app: string;
  let broker: Mosquitto | undefined;
  let sub: Collector | undefined;
  const procs: ChildProcess[] = [];

  before(async function () {
    if (process.platform !== 'linux' || process.arch !== 'x64') this.skip();
    pre = cachedCross(arm64, REPO_ROOT, join(REPO_ROOT, 'dist/package/.cache'));
    if (!pre || !pre.runner) {
      console.log(`      skipped: ${!pre ? 'no cached arm64 Node/addon (run: npm run package -- --target linux-arm64)' : 'qemu-aarch64 not installed (apt-get install qemu-user)'}`);
      this.skip();
    }
    tmp = mkdtempSync(join(tmpdir(), 'sea-arm64-'));
    const hasStrip = spawnSync(arm64.strip, ['--version'], { stdio: 'ignore' }).status === 0;
    built = await buildSea({ target: arm64, nodeBinary: pre.nodeBinary, sqliteAddon: pre.sqliteAddon, runner: pre.runner, outDir: join(tmp, 'build', 'linux-arm64'), strip: hasStrip, codeCache: false });
    app = installInEmptyFolder(built, tmp, 'app');
    console.log(`      built in ${(built.ms / 1000).toFixed(1)} s: binary ${mb(built.bytes.binary)} + native ${mb(built.bytes.native)} = ${mb(built.bytes.total)}`);
  });
  after(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await sub?.close();
    await broker?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('everything shipped is an aarch64 ELF', () => {
    assert.equal(elfMachineOfFile(join(app, 'causeway-edge')), 183);
    for (const f of readdirSync(join(app, 'native'))) assert.equal(elfMachineOfFile(join(app, 'native', f)), 183, f);
  });

  it('--version under qemu prints the package version', () => {
    const want = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const [cmd, ...args] = [...pre!.runner!, './causeway-edge', '--version'];
    const t0 = performance.now();
    const r = spawnSync(cmd!, args, { cwd: app, env: CLEAN_ENV, encoding: 'utf8', timeout: 30_000 });
    const ms = performance.now() - t0;
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${want}\n`);
    console.log(`      --version under qemu: ${ms.toFixed(0)} ms`);
  });

  it('against a real mosquitto under qemu: SQLite outbox, online status, a reading delivered, SIGTERM drain', async () => {
    broker = await startMosquitto();
    sub = await startCollector(broker.url);
    const run = await runAgainstBroker({ app, runner: pre!.runner!, brokerUrl: broker.url, sub, gw: 'gw-sea-arm64', store: join(tmp!, 'data', 'outbox.db'), timeoutMs: 40_000, procs });
    console.log(`      start → online status under qemu: ${run.onlineMs.toFixed(0)} ms`);
  });

  it('serialport loads the shipped arm64 prebuild: a probe executable passes a line across a socat PTY pair', async function () {
    if (spawnSync('socat', ['-V'], { stdio: 'ignore' }).status !== 0) this.skip();
    const probe = await buildSea({ target: arm64, nodeBinary: pre!.nodeBinary, sqliteAddon: pre!.sqliteAddon, runner: pre!.runner!, outDir: join(tmp!, 'build', 'probe'), entry: PROBE, strip: false });
    const dir = installInEmptyFolder(probe, tmp!, 'probe-app');
    const [a, b] = [join(tmp!, 'pty-a'), join(tmp!, 'pty-b')];
    const socat = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
    procs.push(socat);
    await waitUntil(() => existsSync(a) && existsSync(b), 5000, 'socat PTYs');
    const [cmd, ...args] = [...pre!.runner!, './causeway-edge', a, b];
    const r = spawnSync(cmd!, args, { cwd: dir, env: CLEAN_ENV, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.stdout.trim(), 'echo ok', r.stderr);
    assert.equal(r.status, 0);
    socat.kill('SIGTERM');
  });
});
