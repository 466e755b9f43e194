// After tsc: lay out dist/ as an installed tree. Compiled code imports the workspace packages by name
// (@causeway/shared, @causeway/broker, …); Node finds them in dist/node_modules/@causeway/*, links to the
// compiled package folders, each given a package.json whose exports name the compiled files. Then make
// every `bin` entry executable (tsc does not keep the mode) so `npx causeway-…` works from a fresh clone.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const compiled = (target) => target.replace(/^\.\/src\//, './').replace(/\.ts$/, '.js');
mkdirSync(join(root, 'dist/node_modules/@causeway'), { recursive: true });
for (const dir of pkg.workspaces ?? []) {
  const ws = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
  const out = join(root, 'dist', dir, 'src');
  if (!existsSync(out)) continue;
  const exports = Object.fromEntries(Object.entries(ws.exports ?? {}).map(([k, v]) => [k, compiled(v)]));
  writeFileSync(join(out, 'package.json'), JSON.stringify({ name: ws.name, version: ws.version, type: 'module', exports }, null, 2) + '\n');
  const link = join(root, 'dist/node_modules', ws.name);
  rmSync(link, { force: true, recursive: true });
  symlinkSync(join('..', '..', dir, 'src'), link);
}
for (const [name, file] of Object.entries(pkg.bin ?? {})) {
  if (!existsSync(join(root, file))) {
    console.error(`bin ${name}: ${file} was not built`);
    process.exitCode = 1;
    continue;
  }
  chmodSync(join(root, file), 0o755);
}
// `npm start` compares this stamp with the sources to build on demand (.ci/start.mjs).
writeFileSync(join(root, 'dist', '.build-stamp'), new Date().toISOString() + '\n');
