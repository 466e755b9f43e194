import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import mqtt from 'mqtt';
import { CompetitorUnavailableError, startCompetitor, stopAllCompetitors, type CompetitorName, type RunningBroker } from '../lib/competitors.js';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function roundTrip(b: RunningBroker): Promise<string> {
  const c = await mqtt.connectAsync(b.url, { protocolVersion: b.protocolVersion, reconnectPeriod: 0, connectTimeout: 5000 });
  try {
    await c.subscribeAsync('bench/check', { qos: 1 });
    const got = new Promise<string>((res) => c.once('message', (_t, p) => res(p.toString())));
    await c.publishAsync('bench/check', 'hello', { qos: 1 });
    return await got;
  } finally {
    await c.endAsync();
  }
}

describe('bench competitors @e2e', function () {
  this.timeout(30_000);
  after(stopAllCompetitors);

  for (const name of ['mosquitto', 'aedes', 'nats'] as CompetitorName[]) {
    it(`starts ${name} on a loopback port, relays a QoS 1 message, and leaves no process or dir behind`, async () => {
      const b = await startCompetitor(name, { persistence: true });
      assert.match(b.url, /^mqtt:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(await roundTrip(b), 'hello');
      assert.ok(pidAlive(b.pid));
      assert.ok(existsSync(b.dir));
      await b.stop();
      assert.ok(!existsSync(b.dir), `${b.dir} left behind`);
      assert.ok(!pidAlive(b.pid), `${name} pid ${b.pid} still alive`);
      const refused = await new Promise<boolean>((res) => {
        const s = connect({ port: b.port, host: '127.0.0.1' });
        s.once('connect', () => { s.destroy(); res(false); });
        s.once('error', () => res(true));
      });
      assert.ok(refused);
    });
  }

  it('reports causeway-cloud as unavailable (with its output) instead of hanging when it does not listen', async () => {
    try {
      const b = await startCompetitor('causeway', { startTimeoutMs: 5000 });
      // Once the broker exists this is the real path: it must relay like the others.
      assert.equal(await roundTrip(b), 'hello');
      await b.stop();
    } catch (err) {
      assert.ok(err instanceof CompetitorUnavailableError, String(err));
      assert.equal(err.competitor, 'causeway');
      assert.ok(err.message.length > 'causeway: '.length);
    }
  });

  it('has the binaries the harness expects', () => {
    assert.ok(existsSync('/usr/sbin/mosquitto'));
  });
});

describe('bench runner cleanup @e2e', function () {
  this.timeout(60_000);
  let runner: import('node:child_process').ChildProcess | undefined;
  after(() => {
    if (runner !== undefined && runner.exitCode === null) runner.kill('SIGKILL');
  });

  it('stops its broker and exits 130 on Ctrl-C (SIGINT) in the middle of a run', async () => {
    const { spawn, execFileSync } = await import('node:child_process');
    runner = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', 'fan-out', '--brokers', 'mosquitto', '--ms', '30000', '--messages', '1000000', '--subs', '5'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    runner.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((res) => runner!.once('exit', (code) => res(code)));
    // Wait (bounded) until the run is under way, then find the broker among the runner's children.
    for (let i = 0; i < 200 && !stderr.includes('QoS 0'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(stderr.includes('QoS 0'), stderr);
    const children = execFileSync('pgrep', ['-P', String(runner.pid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
    const broker = children.find((pid) => execFileSync('ps', ['-o', 'comm=', '-p', String(pid)], { encoding: 'utf8' }).trim() === 'mosquitto');
    assert.ok(broker !== undefined, `no mosquitto among ${children.join(',')}`);
    runner.kill('SIGINT');
    assert.equal(await exited, 130);
    assert.ok(!pidAlive(broker), `mosquitto ${broker} outlived the runner`);
  });
});
