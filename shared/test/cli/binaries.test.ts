import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

// The binaries as users run them: the built files that package.json `bin` points at (npm test builds first).
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; bin: Record<string, string> };

describe('binaries answer --help and --version', () => {
  for (const [name, file] of Object.entries(pkg.bin)) {
    it(`${name} (${file})`, () => {
      assert.ok(existsSync(file), `${file} is missing: run npm run build`);
      assert.equal(execFileSync(file, ['--version'], { encoding: 'utf8' }).trim(), pkg.version);
      const help = execFileSync(file, ['--help'], { encoding: 'utf8' });
      assert.match(help, new RegExp(`^${name} ${pkg.version.replace(/\./g, '\\.')} — `));
      assert.match(help, /Usage:/);
      // Issue 24: examples, and config types in words rather than convict's format names.
      assert.match(help, /\nExamples:\n {2}\S.*\n {2}\S/);
      assert.doesNotMatch(help, /<(nat|int|String|Boolean|Number)>/);
    });
  }

  it('a bad config value exits 78 and names the key', function () {
    const file = pkg.bin['causeway-edge']!;
    const helpText = execFileSync(file, ['--help'], { encoding: 'utf8' });
    // Only meaningful once the agent has a config schema; until then it must still refuse cleanly.
    const r = spawnSync(file, ['--no.such.key', '1'], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    if (/Config keys/.test(helpText)) {
      assert.equal(r.status, 78);
      assert.match(r.stderr, /no\.such\.key/);
    }
  });
});
