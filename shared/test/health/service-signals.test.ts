import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handleServiceSignals } from '../../src/health/service-signals.js';
import { Receiver } from './notify-receiver.js';

const haveTools = spawnSync('python3', ['--version']).status === 0 && spawnSync('systemd-notify', ['--version']).status === 0;

/** records notifier calls; reloading/stopping/ready resolve after `delayMs` like a real helper would */
function fakeNotifier(delayMs = 5) {
  const calls: string[] = [];
  const call = (what: string) => async (status?: string) => {
    calls.push(status === undefined ? what : `${what}:${status}`);
    await new Promise((r) => setTimeout(r, delayMs));
    return true;
  };
  return { calls, notifier: { reloading: call('reloading'), ready: call('ready'), stopping: call('stopping') } };
}
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('health/service-signals', () => {
  describe('with a fake process', () => {
    it('SIGHUP: RELOADING, reload(), READY; SIGHUPs during a reload coalesce into one more reload', async () => {
      const target = new EventEmitter();
      const { calls, notifier } = fakeNotifier();
      let reloads = 0;
      const off = handleServiceSignals({ notifier, target, stop: () => {}, reload: async () => { reloads += 1; await tick(50); } });
      target.emit('SIGHUP');
      await tick(150);
      assert.equal(reloads, 1);
      assert.deepEqual(calls, ['reloading:reloading config', 'ready:running']);
      calls.length = 0;
      target.emit('SIGHUP');
      target.emit('SIGHUP');
      target.emit('SIGHUP');
      await tick(300);
      assert.equal(reloads, 3, 'the first, then one for the two that came during it');
      assert.deepEqual(calls, ['reloading:reloading config', 'ready:running', 'reloading:reloading config', 'ready:running']);
      off();
      assert.equal(target.listenerCount('SIGHUP'), 0);
    });

    it('a failing reload still sends READY (or systemctl reload would hang) and keeps running', async () => {
      const target = new EventEmitter();
      const { calls, notifier } = fakeNotifier();
      handleServiceSignals({ notifier, target, stop: () => {}, reload: () => { throw new Error('bad config'); } });
      target.emit('SIGHUP');
      await tick(50);
      assert.deepEqual(calls, ['reloading:reloading config', 'ready:reload failed, previous config in force']);
    });

    it('SIGTERM: STOPPING then stop() once, even if the signal repeats; SIGHUP after that is ignored', async () => {
      const target = new EventEmitter();
      const { calls, notifier } = fakeNotifier();
      const stops: string[] = [];
      handleServiceSignals({ notifier, target, stop: (s) => { stops.push(s); } });
      target.emit('SIGTERM');
      target.emit('SIGINT');
      target.emit('SIGHUP');
      await tick(50);
      assert.deepEqual(stops, ['SIGTERM']);
      assert.deepEqual(calls, ['stopping:draining']);
    });
  });

  describe('a real child process under a fake NOTIFY_SOCKET', function () {
    this.timeout(30_000);
    let dir: string;
    let rx: Receiver;
    let child: ChildProcess | undefined;
    before(async function () {
      if (!haveTools) this.skip(); // needs python3 (the fake PID 1) and systemd-notify (the sender)
      dir = mkdtempSync(join(tmpdir(), 'causeway-signals-'));
      rx = await Receiver.start(join(dir, 'notify.sock'));
    });
    after(() => {
      child?.kill('SIGKILL');
      rx?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('READY, watchdog pings, reload (ok and failing) without dying, then SIGTERM drains and exits 0', async () => {
      const flag = join(dir, 'fail-reload');
      child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/service-child.ts'), flag], {
        env: { ...process.env, NOTIFY_SOCKET: join(dir, 'notify.sock'), WATCHDOG_USEC: '400000' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

      await rx.waitFor((p) => p.includes('READY=1\nSTATUS=up'), 15_000);
      await rx.waitFor((p) => p.filter((m) => m === 'WATCHDOG=1').length >= 2, 5000);

      child.kill('SIGHUP');
      await rx.waitFor((p) => p.includes('READY=1\nSTATUS=running'));
      assert.match(out, /reloaded 1/);
      assert.ok(rx.payloads().some((m) => /^RELOADING=1\nMONOTONIC_USEC=\d+\nSTATUS=reloading config$/.test(m)));

      writeFileSync(flag, '');
      child.kill('SIGHUP');
      await rx.waitFor((p) => p.includes('READY=1\nSTATUS=reload failed, previous config in force'));
      assert.equal(child.exitCode, null, 'a failed reload must not kill the service');

      child.kill('SIGTERM');
      const code = await Promise.race([exited, tick(10_000).then(() => 'timeout' as const)]);
      assert.equal(code, 0);
      assert.match(out, /drained after SIGTERM/);
      assert.ok(rx.payloads().includes('STOPPING=1\nSTATUS=draining'));
      child = undefined;
    });
  });
});
