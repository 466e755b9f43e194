import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { SimProcess, waitUntil } from '../../../edge/test/ingest/helpers/sim-process.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'firmware-sim/src/main.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });

describe('01-sim-serial-cli @e2e: causeway-sim serial on a real PTY', function () {
  this.timeout(30_000);
  let dir: string;
  const sims: SimProcess[] = [];
  const ports: SerialPort[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'causeway-sim-'));
  });
  after(async () => {
    for (const p of ports) if (p.isOpen) await new Promise((r) => p.close(r));
    await Promise.all(sims.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('--help, --version, and usage errors with exit 64', () => {
    const help = cli(['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /causeway-sim serial --profile thermometer\|vibration\|gps\|roadside-unit --link PATH/);
    assert.match(cli(['--version']).stdout, /^\d+\.\d+\.\d+/);
    const bad = cli(['serial', '--profile', 'toaster', '--link', join(dir, 'x')]);
    assert.equal(bad.status, 64);
    assert.match(bad.stderr, /--profile must be one of thermometer, vibration, gps, roadside-unit/);
    assert.equal(cli(['serial', '--profile', 'thermometer']).status, 64);
    assert.equal(cli(['serial', '--profile', 'thermometer', '--link', 'x', '--rate', 'fast']).status, 64);
    assert.equal(cli(['fly']).status, 64);
  });

  it('streams lines, answers commands, vanishes on SIGUSR1 and comes back, prints a summary', async () => {
    const link = join(dir, 'th');
    const s = new SimProcess(['serial', '--profile', 'thermometer', '--link', link, '--rate', '50', '--vanish-for-ms', '300']);
    sims.push(s);
    await s.waitFor('link-up');
    const port = new SerialPort({ path: link, baudRate: 115200 });
    ports.push(port);
    let text = '';
    port.on('data', (b: Buffer) => (text += b.toString()));
    await waitUntil(() => text.split('\n').length > 5, 5000, () => 'lines');
    const first = text.split('\n')[1]!;
    assert.match(first, /^\{"seq":\d+,"temp":-?\d+(\.\d+)?,"relay":false\}$/);
    port.write('set-relay on\nreboot\n');
    await waitUntil(() => text.includes('>ok reboot\n'), 5000, () => 'replies');
    assert.ok(text.indexOf('>ok set-relay on\n') < text.indexOf('>ok reboot\n'));
    await waitUntil(() => /"seq":0,"temp":[\d.]+,"relay":true/.test(text.slice(text.indexOf('>ok reboot'))), 5000, () => 'seq 0 after reboot');

    s.signal('SIGUSR1');
    await s.waitFor('link-down');
    await waitUntil(() => !existsSync(link), 2000, () => 'link removed');
    await s.waitFor('link-up', 2);
    assert.ok(existsSync(link), 'link re-created');
    const summary = await s.stop();
    assert.equal(summary!.vanished, 1);
    assert.equal(summary!.commands, 2);
    assert.ok((summary!.sent as number) > 5);
  });

  it('killed with SIGKILL, takes its socat and both links with it', async () => {
    const link = join(dir, 'killed');
    const s = new SimProcess(['serial', '--profile', 'thermometer', '--link', link, '--rate', '10']);
    sims.push(s);
    const [up] = await s.waitFor('link-up');
    const socat = up!.socatPid as number;
    assert.ok(Number.isInteger(socat) && alive(socat), 'socat runs');
    assert.ok(existsSync(link));
    s.signal('SIGKILL');
    await waitUntil(() => !alive(socat), 5000, () => `socat ${socat} still running after its simulator was killed`);
    await waitUntil(() => !existsSync(link), 2000, () => 'link removed');
  });
});

/** true while `pid` runs (a zombie counts as gone: socat's parent died, init reaps it) */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim();
  return stat !== '' && !stat.startsWith('Z');
}
