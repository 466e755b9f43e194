/**
 * `npm run package [-- --target linux-x64|linux-arm64] [--node FILE] [--sqlite-addon FILE]
 *  [--runner "qemu-aarch64 -L /usr/aarch64-linux-gnu"] [--out DIR] [--no-strip] [--no-code-cache]`
 *
 * Builds causeway-edge as a Node single executable into dist/package/<target>/ (see docs/packaging.md).
 * For a foreign target without --node, the target's Node and better_sqlite3.node are fetched and
 * cross-compiled once into dist/package/.cache (cross-prereqs.ts).
 * Exit 0 on success, 1 with the failed step on stderr otherwise.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { buildSea, REPO_ROOT } from './build-sea.js';
import { prepareCross, runnerFor } from './cross-prereqs.js';
import { targetNamed } from './targets.js';

function hasTool(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

try {
  const { values } = parseArgs({
    options: {
      target: { type: 'string', default: `linux-${process.arch}` },
      node: { type: 'string' },
      'sqlite-addon': { type: 'string' },
      runner: { type: 'string' },
      out: { type: 'string' },
      'no-strip': { type: 'boolean', default: false },
      'no-code-cache': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const target = targetNamed(values.target);
  const native = target.name === `linux-${process.arch}`;
  const say = (l: string): void => void process.stdout.write(`${l}\n`);
  let nodeBinary = values.node ?? (native ? process.execPath : undefined);
  let sqliteAddon = values['sqlite-addon'];
  let runner = values.runner ? values.runner.split(/\s+/).filter(Boolean) : native ? undefined : runnerFor(target);
  if (!native && !nodeBinary) {
    const pre = prepareCross(target, REPO_ROOT, join(REPO_ROOT, 'dist/package/.cache'), say);
    nodeBinary = pre.nodeBinary;
    sqliteAddon ??= pre.sqliteAddon;
    runner ??= pre.runner;
  }
  if (!nodeBinary || !existsSync(nodeBinary)) throw new Error(`${target.name}: node binary ${nodeBinary} not found`);
  const strip = !values['no-strip'] && hasTool(target.strip);
  const result = await buildSea({
    target,
    nodeBinary,
    outDir: values.out ?? join(REPO_ROOT, 'dist/package', target.name),
    strip,
    // A V8 code cache is only valid for the V8 (and CPU) that made it: the building machine.
    codeCache: native && !values['no-code-cache'],
    ...(sqliteAddon ? { sqliteAddon } : {}),
    ...(runner ? { runner } : {}),
    progress: say,
  });
  if (!strip && !values['no-strip']) process.stdout.write(`note: ${target.strip} not found, binary left unstripped\n`);
  process.stdout.write(`${result.binary}\n`);
} catch (err) {
  process.stderr.write(`package: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
