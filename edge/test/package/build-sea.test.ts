import assert from 'node:assert/strict';
import { externalRequires, fuseFlipped, SEA_FUSE, splitPostjectOutput } from '../../package/build-sea.js';

describe('package build-sea: checks on the bundle, the injection and the result', () => {
  const bundles: Array<[string, string, string[]]> = [
    ['built-ins only, with and without node:', 'require("fs"); require("node:path"); require(\'zlib\');', []],
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
});
