import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { transform } from 'esbuild';
import { rewriteImportMetaUrl, wrapTopLevel } from '../../package/bundle-plugins.js';

describe('package bundle-plugins: source rewrites for a CommonJS SEA main script', () => {
  describe('wrapTopLevel', () => {
    const entry = [
      '#!/usr/bin/env node',
      "import { once } from 'node:events';",
      "import {",
      "  a,",
      "  b,",
      "} from './x.js';",
      'const n = 1;',
      'function helper(): number { return n + 1; }',
      'await run(async () => { await once(process, "SIGTERM"); return helper(); });',
      '',
    ].join('\n');

    it('keeps every import (multi-line too) ahead of an async wrapper holding the rest, without the shebang', () => {
      const out = wrapTopLevel(entry);
      assert.equal(typeof out, 'string');
      const s = out as string;
      assert.ok(!s.includes('#!'), 'shebang dropped');
      const wrapAt = s.indexOf('(async () => {');
      assert.ok(wrapAt > s.indexOf("from './x.js';"), 'imports before the wrapper');
      assert.ok(s.indexOf("from 'node:events';") < wrapAt);
      for (const st of ['const n = 1;', 'function helper()', 'await run(']) assert.ok(s.indexOf(st) > wrapAt, `${st} inside the wrapper`);
      assert.match(s, /process\.exitCode = 70;/);
    });

    it('turns an entry with top-level await into one esbuild can emit as CommonJS', async () => {
      await assert.rejects(transform(entry, { loader: 'ts', format: 'cjs', target: 'node20' }), /Top-level await is currently not supported/);
      const out = await transform(wrapTopLevel(entry) as string, { loader: 'ts', format: 'cjs', target: 'node20' });
      assert.match(out.code, /require\("node:events"\)/);
    });

    const refused: Array<[string, string]> = [
      ['export const x = 1;', 'exported variable'],
      ['export function f() {}', 'exported function'],
      ["export { y } from './y.js';", 're-export'],
      ['export default 3;', 'default export'],
    ];
    for (const [src, what] of refused) {
      it(`refuses an entry with: ${what}`, () => {
        const out = wrapTopLevel(`import a from 'a';\n${src}\n`, 'main.ts');
        assert.equal(typeof out, 'object');
        assert.match((out as { error: string }).error, /main\.ts: the SEA entry must not export \(line 2\)/);
      });
    }
  });

  describe('rewriteImportMetaUrl', () => {
    it('maps import.meta.url to the module path under the executable folder, as a file URL', () => {
      const out = rewriteImportMetaUrl("const u = new URL('../../../package.json', import.meta.url);", 'shared/src/cli/program.ts');
      assert.ok(!out.includes('import.meta'));
      const fn = new Function('require', 'process', `${out}; return u.href;`) as (r: NodeRequire, p: { execPath: string }) => string;
      assert.equal(fn(createRequire(import.meta.url), { execPath: '/opt/causeway/causeway-edge' }), 'file:///opt/causeway/package.json');
    });

    it('leaves a module without import.meta.url unchanged', () => {
      assert.equal(rewriteImportMetaUrl('export const x = 1;', 'edge/src/a.ts'), 'export const x = 1;');
    });
  });
});
