import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSea, externalRequires, fuseFlipped, SEA_FUSE, splitPostjectOutput } from '../../package/build-sea.js';
import { TARGETS } from '../../package/targets.js';

describe('package build-sea: checks on the bundle, the injection and the result', () => {
  const bundles: Array<[string, string, string[]]> = [
    ['built-ins only, with and without node:', 'require("fs"); require("node:path"); require(\'zlib\');', []],
    ['scheme-only built-ins (node:sea), but not without the scheme', 'require("node:sea"); require("sea");', ['sea']],
    ['a package left unbundled', 'const b = require("bindings"); require("fs");', ['bindings']],
    ['scoped package and deep path, sorted, once each', 'require("@serialport/x"); require("a/b.js"); require("a/b.js");', ['@serialport/x', 'a/b.js']],
    ['a dynamic require is not a literal', 'require(path2); require(resolvedConfigPath);', []],
    ['optional addon names are not exempt', 'try { require("bufferutil") } catch {}', ['bufferutil']],
  ];
  for (const [what, src, want] of bundles) {
    it(`externalRequires: ${what}`, () => assert.deepEqual(externalRequires(src), want));
  }

  it('splitPostjectOutput counts the LIEF note warnings, drops the chatter, keeps anything else', () => {
    const out = [
      '\x1b[36mStart injection of NODE_SEA_BLOB in /x/causeway-edge...\x1b[0m',
      "warning: Can't find string offset for section name '.note.100'",
      "warning: Can't find string offset for section name '.note'",
      '\x1b[32m💉 Injection done!\x1b[0m',
      'error: something else',
      '',
    ].join('\n');
    assert.deepEqual(splitPostjectOutput(out), { benign: 2, other: ['error: something else'] });
  });

  it('fuseFlipped reads the byte after the fuse', () => {
    const bin = (s: string): Buffer => Buffer.concat([Buffer.alloc(100, 7), Buffer.from(s), Buffer.alloc(100, 0)]);
    assert.equal(fuseFlipped(bin(`${SEA_FUSE}:1`)), true);
    assert.equal(fuseFlipped(bin(`${SEA_FUSE}:0`)), false);
    assert.equal(fuseFlipped(bin('no fuse here')), false);
  });

  describe('buildSea refuses, at the bundle step, code that would break only at run time', () => {
    let tmp: string;
    before(function () {
      if (process.platform !== 'linux' || process.arch !== 'x64') this.skip();
      tmp = mkdtempSync(join(tmpdir(), 'sea-refuse-'));
    });
    after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

    const entries: Array<[string, string, RegExp]> = [
      ['import.meta other than .url', 'console.log(import.meta.dirname);\n', /import\.meta other than import\.meta\.url is not available in a SEA: .*bad-0\.ts/],
      ['a package that is not installed', 'try { require("not-installed-anywhere-xyz"); } catch {}\n', /looked up on disk at run time .*: not-installed-anywhere-xyz/],
    ];
    entries.forEach(([what, src, err], i) => {
      it(what, async () => {
        const entry = join(tmp, `bad-${i}.ts`);
        writeFileSync(entry, src);
        const outDir = join(tmp, `out-${i}`);
        await assert.rejects(buildSea({ target: TARGETS['linux-x64'], nodeBinary: process.execPath, outDir, entry }), err);
        assert.ok(!existsSync(join(outDir, 'causeway-edge')), 'no binary left behind');
      });
    });
  });
});
