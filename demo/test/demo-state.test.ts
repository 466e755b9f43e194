import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareDemoDir } from '../src/demo-state.js';

describe('firmware-sim/demo/demo-state: reuse or --fresh (issue 24)', () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'cw-demo-state-'));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  const earlierRun = (dir: string): void => {
    mkdirSync(join(dir, 'cloud'), { recursive: true });
    mkdirSync(join(dir, 'tty'), { recursive: true });
    mkdirSync(join(dir, 'gw-bus-1'), { recursive: true });
    writeFileSync(join(dir, 'cloud', 'operator-token'), 'x');
  };

  it('says nothing on a first run', () => {
    assert.equal(prepareDemoDir(join(base, 'demo'), false), undefined);
  });

  it('says when it reuses an earlier run, and how to start clean', () => {
    const dir = join(base, 'demo');
    earlierRun(dir);
    assert.equal(prepareDemoDir(dir, false), `demo: reusing the state of an earlier run in ${dir} (registry, queues, outboxes, config versions); npm start -- --fresh starts clean`);
    assert.ok(existsSync(join(dir, 'cloud', 'operator-token')), 'kept');
  });

  it('--fresh removes an earlier run', () => {
    const dir = join(base, 'demo');
    earlierRun(dir);
    assert.equal(prepareDemoDir(dir, true), `demo: --fresh: removed the earlier run's state in ${dir}`);
    assert.equal(existsSync(dir), false);
    assert.equal(prepareDemoDir(dir, true), undefined, 'nothing to remove');
  });

  it('--fresh refuses to delete a directory the demo did not make', () => {
    const dir = join(base, 'home');
    mkdirSync(dir);
    writeFileSync(join(dir, 'thesis.tex'), 'precious');
    assert.throws(() => prepareDemoDir(dir, true), (e: any) => e.code === 'USAGE' && /does not look like a demo directory/.test(e.message));
    assert.ok(existsSync(join(dir, 'thesis.tex')));
  });
});
