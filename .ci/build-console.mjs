// The operator console (cloud/console, issue 18): TSX → one ES module and one stylesheet in dist/console/,
// with index.html beside them. causeway-cloud serves these files at `/` (cloud/src/api/console-assets.ts).
// Everything is bundled (Preact, uPlot and its CSS): no CDN, nothing fetched at run time.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../', import.meta.url).pathname;
const src = join(root, 'cloud/console');
const out = join(root, 'dist/console');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: { console: join(src, 'src/main.tsx') },
  outdir: out,
  bundle: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  sourcemap: false,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});
copyFileSync(join(src, 'index.html'), join(out, 'index.html'));
const bytes = Object.entries(result.metafile.outputs).map(([f, o]) => `${f.split('/').pop()} ${(o.bytes / 1024).toFixed(1)} kB`);
console.log(`console built into dist/console: ${bytes.join(', ')}`);
