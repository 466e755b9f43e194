import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { renderView } from '../src/demo-view.js';

const run = promisify(execFile);

describe('npm start: the demo stack, headless @e2e', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cw-demo-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('starts cloud, edges and simulated sensors, shows data flowing within seconds, and stops cleanly', async () => {
    const r = await run(process.execPath, ['--import', 'tsx', 'demo/src/main.ts', '--dir', dir, '--duration', '20', '--plain'], { timeout: 90_000 });
    assert.match(r.stdout, /From a second terminal/);
    assert.match(r.stdout, /send set-relay --device th-1/);
    const frames = r.stdout.split('\n\n').filter((f) => f.startsWith('causeway demo'));
    assert.ok(frames.length >= 10, `a frame per second (${frames.length})`);
    const flowing = frames.findIndex((f) => /gw-bus-1\s+up\s+[1-9]/.test(f) && /gw-rsu-1\s+up\s+[1-9]/.test(f) && /stored in the cloud: [1-9]/.test(f));
    assert.ok(flowing >= 0 && flowing < 12, `both gateways up with readings flowing within 12 s (frame ${flowing})\n${frames.at(-1)}`);
    assert.match(r.stdout, /demo: stopped\n$/);
    // nothing left running from this demo
    const left = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(dir));
    assert.deepEqual(left, []);
  });

  it('renders a frame with one row per gateway', () => {
    const text = renderView({ elapsedSeconds: 3, telemetryStored: 12, commandsRunning: 1, commandsDone: 2, gateways: [{ gateway: 'gw-a', link: 'down', readingsPerSecond: 2.5, outboxRecords: 40, oldestAgeSeconds: 12.3, evicted: 0 }] });
    assert.match(text, /telemetry stored in the cloud: 12 batches — commands running: 1, finished: 2/);
    assert.match(text, /gw-a\s+down\s+2\.5\s+40\s+12\.3\s+0\s+-/);
  });
});
