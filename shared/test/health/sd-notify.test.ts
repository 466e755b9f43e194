import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNotifier, notifyArgs, watchdogIntervalMs } from '../../src/health/sd-notify.js';
import { createLogger } from '../../src/log/logger.js';
import { Receiver } from './notify-receiver.js';

const haveTools = spawnSync('python3', ['--version']).status === 0 && spawnSync('systemd-notify', ['--version']).status === 0;

describe('health/sd-notify', () => {
  describe('watchdogIntervalMs', () => {
    const table: Array<[string, Record<string, string>, number | undefined]> = [
      ['no watchdog', {}, undefined],
      ['half of WATCHDOG_USEC', { WATCHDOG_USEC: '30000000' }, 15000],
      ['ours by WATCHDOG_PID', { WATCHDOG_USEC: '200000', WATCHDOG_PID: '42' }, 100],
      ['another PID (we are its child)', { WATCHDOG_USEC: '200000', WATCHDOG_PID: '43' }, undefined],
      ['zero', { WATCHDOG_USEC: '0' }, undefined],
      ['garbage', { WATCHDOG_USEC: '30s' }, undefined],
      ['tiny rounds up to 1 ms', { WATCHDOG_USEC: '1' }, 1],
    ];
    for (const [name, env, want] of table) it(name, () => assert.equal(watchdogIntervalMs(env, 42), want));
  });

  describe('notifyArgs', () => {
    it('one argument per assignment, in order', () => {
      assert.deepEqual(notifyArgs({ READY: '1', STATUS: 'up = fine' }), ['READY=1', 'STATUS=up = fine']);
    });
    const bad: Array<[string, Record<string, string>]> = [
      ['lower-case key', { ready: '1' }],
      ['key with =', { 'A=B': '1' }],
      ['newline smuggling a second assignment', { STATUS: 'x\nREADY=1' }],
      ['NUL', { STATUS: 'x\0' }],
      ['empty', {}],
    ];
    for (const [name, fields] of bad) {
      it(`rejects ${name} with NOTIFY_INVALID`, () => assert.throws(() => notifyArgs(fields), { code: 'NOTIFY_INVALID' }));
    }
  });

  describe('without NOTIFY_SOCKET', () => {
    it('is disabled and sends nothing (not even trying the helper)', async () => {
      const n = createNotifier({ WATCHDOG_USEC: '1000000' }, { command: '/nonexistent/systemd-notify' });
      assert.equal(n.enabled, false);
      assert.equal(n.watchdogIntervalMs, undefined);
      assert.equal(await n.ready(), false);
      assert.equal(await n.watchdog(), false);
      n.startWatchdog()();
      assert.deepEqual(n.stats(), { sent: 0, failed: 0, skipped: 0 });
    });
  });

  describe('over a real unix datagram socket', function () {
    let dir: string;
    let path: string;
    let rx: Receiver;

    before(async function () {
      if (!haveTools) this.skip(); // needs python3 (the fake PID 1) and systemd-notify (the sender)
      dir = mkdtempSync(join(tmpdir(), 'causeway-sdnotify-'));
      path = join(dir, 'notify.sock');
      rx = await Receiver.start(path);
    });
    after(() => {
      rx?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(() => {
      if (rx) rx.messages.length = 0;
    });

    it('READY=1 with a one-line STATUS', async () => {
      const n = createNotifier({ NOTIFY_SOCKET: path });
      assert.equal(n.enabled, true);
      assert.equal(await n.ready('outbox open\n3 pending'), true);
      await rx.waitFor((p) => p.length >= 1);
      assert.deepEqual(rx.payloads(), ['READY=1\nSTATUS=outbox open 3 pending']);
      assert.equal(n.stats().sent, 1);
    });

    it('keeps the order of messages fired without awaiting (reload, then ready, then stopping)', async () => {
      const n = createNotifier({ NOTIFY_SOCKET: path });
      const results = await Promise.all([n.reloading(), n.ready(), n.stopping('draining')]);
      assert.deepEqual(results, [true, true, true]);
      await rx.waitFor((p) => p.length >= 3);
      const [reload, ready, stopping] = rx.payloads();
      assert.match(reload!, /^RELOADING=1\nMONOTONIC_USEC=\d+$/);
      assert.equal(ready, 'READY=1');
      assert.equal(stopping, 'STOPPING=1\nSTATUS=draining');
    });

    it('pings WATCHDOG=1 every WATCHDOG_USEC/2 and stops when told', async () => {
      const n = createNotifier({ NOTIFY_SOCKET: path, WATCHDOG_USEC: '200000' });
      assert.equal(n.watchdogIntervalMs, 100);
      const started = Date.now();
      const stop = n.startWatchdog();
      try {
        await rx.waitFor((p) => p.filter((m) => m === 'WATCHDOG=1').length >= 3, 3000);
      } finally {
        stop();
      }
      // 3 pings need at least 3 intervals: proves the timer, not a burst.
      assert.ok(Date.now() - started >= 290, `3 pings after ${Date.now() - started} ms`);
      await new Promise((r) => setTimeout(r, 150)); // let an in-flight ping land
      const after = rx.payloads().length;
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(rx.payloads().length, after, 'no pings after stop()');
    });

    it('a blocked event loop stops the pings (what the systemd watchdog acts on)', async () => {
      const n = createNotifier({ NOTIFY_SOCKET: path, WATCHDOG_USEC: '200000' });
      const stop = n.startWatchdog();
      try {
        await rx.waitFor((p) => p.filter((m) => m === 'WATCHDOG=1').length >= 2, 3000);
        const busyUntil = Date.now() + 700;
        while (Date.now() < busyUntil) {
          // a stuck parser or a blocking call: nothing else runs, timers included
        }
        const before = rx.payloads().length;
        await rx.waitFor((p) => p.length >= before + 2, 3000);
      } finally {
        stop();
      }
      const times = rx.messages.filter((m) => m.msg === 'WATCHDOG=1').map((m) => m.t);
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      // a 700 ms silence against a 200 ms watchdog: systemd would have killed us here
      assert.ok(Math.max(...gaps) >= 0.6, `largest gap ${Math.max(...gaps)} s`);
      assert.ok(Math.min(...gaps) < 0.4, `pings otherwise every 100 ms, got gaps ${gaps}`);
    });

    it('EXTEND_TIMEOUT_USEC for a slow start; a non-positive extension is refused', async () => {
      const n = createNotifier({ NOTIFY_SOCKET: path });
      assert.equal(await n.extendTimeout(90_000), true);
      await rx.waitFor((p) => p.includes('EXTEND_TIMEOUT_USEC=90000000'));
      assert.throws(() => n.extendTimeout(0), { code: 'NOTIFY_INVALID' });
    });

    it('does not ping when WATCHDOG_PID names another process', () => {
      const n = createNotifier({ NOTIFY_SOCKET: path, WATCHDOG_USEC: '200000', WATCHDOG_PID: String(process.pid + 1) });
      assert.equal(n.watchdogIntervalMs, undefined);
    });

    it('a socket nobody listens on: resolves false, counts, logs NOTIFY_FAILED, keeps going', async () => {
      const lines: string[] = [];
      const logger = createLogger({ write: (l) => lines.push(l) });
      const n = createNotifier({ NOTIFY_SOCKET: join(dir, 'nobody.sock') }, { logger });
      assert.equal(await n.ready(), false);
      assert.equal(await n.watchdog(), false);
      assert.deepEqual(n.stats(), { sent: 0, failed: 2, skipped: 0 });
      assert.equal(lines.length, 2);
      assert.match(lines[0]!, /"code":"NOTIFY_FAILED"/);
    });
  });

  it('a missing systemd-notify: resolves false with a clear hint', async () => {
    const lines: string[] = [];
    const n = createNotifier({ NOTIFY_SOCKET: '/run/nothing/notify' }, { command: '/nonexistent/systemd-notify', logger: createLogger({ write: (l) => lines.push(l) }) });
    assert.equal(await n.ready(), false);
    assert.equal(n.stats().failed, 1);
    assert.match(lines[0]!, /systemd-notify not found/);
  });
});
