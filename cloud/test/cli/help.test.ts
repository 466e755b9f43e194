import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { packageVersion } from '@causeway/shared';

const run = promisify(execFile);
const SNAPSHOTS = 'cloud/test/cli/snapshots';

/**
 * Snapshot of every `causeway … --help` (issue 24): each command has its own help — a one-line summary,
 * its flags and two examples — instead of the global text. UPDATE_SNAPSHOTS=1 rewrites the files after a
 * deliberate change; review the diff.
 */
describe('causeway --help per command (snapshots)', function () {
  this.timeout(60_000);
  const cases: Array<[string, string[]]> = [
    ['causeway', []],
    ['devices', ['devices']],
    ['devices-list', ['devices', 'list']],
    ['groups', ['groups']],
    ['queues', ['queues']],
    ['consume', ['consume']],
    ['send', ['send']],
    ['commands', ['commands']],
    ['config', ['config']],
    ['apps', ['apps']],
    ['sinks', ['sinks']],
    ['gateways', ['gateways']],
    ['claims', ['claims']],
    ['logs', ['logs']],
    ['bundle', ['bundle']],
    ['diagnose', ['diagnose']],
    ['keys', ['keys']],
    ['file', ['file']],
    ['release', ['release']],
    ['rollout', ['rollout']],
  ];
  for (const [name, args] of cases) {
    it(`causeway ${args.join(' ')} --help`.replace(/ +/g, ' '), async () => {
      // No token and no API: help never needs either.
      const r = await run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', ...args, '--help'], { env: { ...process.env, CAUSEWAY_TOKEN: '' } });
      const text = r.stdout.replaceAll(packageVersion(), '<version>');
      const file = `${SNAPSHOTS}/help-${name}.txt`;
      if (process.env.UPDATE_SNAPSHOTS === '1' || !existsSync(file)) {
        mkdirSync(SNAPSHOTS, { recursive: true });
        writeFileSync(file, text);
      }
      assert.equal(text, readFileSync(file, 'utf8'));
      if (args.length > 0) {
        assert.match(text, new RegExp(`^causeway ${args[0]} — \\S`), 'one-line summary first');
        assert.match(text, /\nFlags:\n/);
        assert.equal(/\nExamples:\n((?: {2}causeway .*\n){2})\n/.exec(text)?.[1]?.split('\n').length, 3, 'two examples');
      }
    });
  }
});
