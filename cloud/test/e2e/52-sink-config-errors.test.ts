import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeDir, tempDir } from './fixtures/broker-process.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Issue 21: a bad `sinks` entry stops causeway-cloud at start-up with exit 78 and a message naming the place. */
describe('e2e 52: causeway-cloud refuses a bad sinks config with exit 78 @e2e', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = tempDir('e2e52');
  });
  after(() => removeDir(dir));

  const pg = { type: 'postgres', url: 'postgres://causeway@127.0.0.1:5432/db' };
  const cases: Array<{ name: string; sinks: unknown; want: RegExp }> = [
    { name: 'a password in the URL', sinks: [{ name: 'pg', queue: 'telemetry', target: { ...pg, url: 'postgres://u:secret@h/db' } }], want: /sinks: \[0\]\.target\.url must not hold a password/ },
    { name: 'an unknown target', sinks: [{ name: 'pg', queue: 'telemetry', target: { type: 'kafka' } }], want: /sinks: \[0\]\.target\.type must be postgres or webhook/ },
    { name: 'a webhook secret file that does not exist', sinks: [{ name: 'hook', queue: 'events', target: { type: 'webhook', url: 'https://h/in', secretFile: '/nonexistent/key' } }], want: /sinks\[0\]\.target\.secretFile: cannot read \/nonexistent\/key/ },
  ];
  for (const c of cases) {
    it(`${c.name}: exit 78 naming the entry`, () => {
      const file = join(dir, 'cloud.json');
      writeFileSync(file, JSON.stringify({ sinks: c.sinks }));
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'cloud/src/main.ts', '--store.path', dir, '--mqtt.port', '0', '--api.port', '0', '--config', file], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 78, `exit ${r.status}: ${r.stderr}`);
      assert.match(r.stderr, c.want);
      assert.doesNotMatch(r.stderr, /secret@/, 'the password is not echoed');
    });
  }

  it('the same list as an environment variable (JSON) is checked the same way', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'cloud/src/main.ts', '--store.path', dir, '--mqtt.port', '0', '--api.port', '0'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, CAUSEWAY_SINKS: JSON.stringify([{ name: 'BAD', queue: 'telemetry', target: pg }]) },
    });
    assert.equal(r.status, 78, `exit ${r.status}: ${r.stderr}`);
    assert.match(r.stderr, /sinks: \[0\]\.name must be lower-case/);
  });
});
