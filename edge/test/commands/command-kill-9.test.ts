import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FIXTURE = 'edge/test/commands/fixtures/executor-child.ts';

function start(dir: string, mode: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dir, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const waitFor = (text: string, ms = 15_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${text}; got ${out}`)), ms);
      const check = (): void => {
        if (out.includes(text)) {
          clearTimeout(timer);
          resolve(out);
        }
      };
      child.stdout.on('data', (d) => {
        out += String(d);
        check();
      });
      check();
    });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return { child, waitFor, exited };
}

const runs = (dir: string): number => (existsSync(join(dir, 'runs.log')) ? readFileSync(join(dir, 'runs.log'), 'utf8').split('\n').filter(Boolean).length : 0);
const results = (out: string): Array<{ status: string; error?: string }> => out.split('\n').filter((l) => l.startsWith('RESULT ')).map((l) => JSON.parse(l.slice(7)));

describe('edge commands survive kill -9 @e2e', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cw-cmd-kill-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('killed between receiving and executing: runs once after restart, answers once', async () => {
    const a = start(dir, 'hold-delivered');
    await a.waitFor('ADMITTED');
    a.child.kill('SIGKILL');
    await a.exited;
    assert.equal(runs(dir), 0, 'not executed before the kill');
    const b = start(dir, 'normal');
    const out = await b.waitFor('IDLE');
    await b.exited;
    assert.equal(runs(dir), 1);
    assert.deepEqual(results(out).map((r) => r.status), ['DELIVERED', 'SUCCEEDED']);
    const c = start(dir, 'normal'); // and again: nothing left to do
    const out2 = await c.waitFor('IDLE');
    await c.exited;
    assert.equal(runs(dir), 1);
    assert.deepEqual(results(out2), []);
  });

  it('killed during execution: not run again, answered FAILED with the reason', async () => {
    const a = start(dir, 'hang-device');
    await a.waitFor('ADMITTED');
    const deadline = Date.now() + 10_000;
    while (runs(dir) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    a.child.kill('SIGKILL');
    await a.exited;
    const b = start(dir, 'normal');
    const out = await b.waitFor('IDLE');
    await b.exited;
    assert.equal(runs(dir), 1, 'at most once');
    const r = results(out);
    assert.equal(r.length, 1);
    assert.equal(r[0]!.status, 'FAILED');
    assert.match(r[0]!.error!, /agent restarted during execution/);
  });
});
