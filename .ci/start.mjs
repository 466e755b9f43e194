// `npm start` right after `npm ci`: build first when dist/ is missing or older than the sources, then
// run the demo with the arguments given (`npm start -- --fresh`).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../', import.meta.url).pathname;
const stamp = join(root, 'dist', '.build-stamp');
const newest = (dir) => {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : /\.(ts|tsx|css|html)$/.test(e.name) ? statSync(p).mtimeMs : 0);
  }
  return t;
};
const pkgs = ['shared', 'broker', 'cloud', 'edge', 'firmware-sim', 'demo'];
const sources = Math.max(...pkgs.map((p) => newest(join(root, p, 'src'))), newest(join(root, 'cloud/console')));
if (!existsSync(stamp) || statSync(stamp).mtimeMs < sources) {
  console.error('building (dist/ is missing or older than the sources)…');
  const b = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const r = spawnSync(process.execPath, [join(root, 'dist/demo/src/main.js'), ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? (r.signal ? 1 : 0));
