/**
 * `npm run package [-- --target linux-x64|linux-arm64] [--node FILE] [--sqlite-addon FILE]
 *  [--runner "qemu-aarch64 -L /usr/aarch64-linux-gnu"] [--out DIR] [--no-strip] [--no-code-cache]`
 *
 * Builds causeway-edge as a Node single executable into dist/package/<target>/ (see docs/packaging.md).
 * Exit 0 on success, 1 with the failed step on stderr otherwise.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { buildSea, REPO_ROOT } from './build-sea.js';
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
  const nodeBinary = values.node ?? (native ? process.execPath : undefined);
  if (!nodeBinary || !existsSync(nodeBinary)) {
    throw new Error(`${target.name}: pass --node with a Node ${process.version} binary for that platform (see docs/packaging.md)`);
  }
  const strip = !values['no-strip'] && hasTool(target.strip);
  const result = await buildSea({
    target,
    nodeBinary,
    outDir: values.out ?? join(REPO_ROOT, 'dist/package', target.name),
    strip,
    // A V8 code cache is only valid for the V8 (and CPU) that made it: the building machine.
    codeCache: native && !values['no-code-cache'],
    ...(values['sqlite-addon'] ? { sqliteAddon: values['sqlite-addon'] } : {}),
    ...(values.runner ? { runner: values.runner.split(/\s+/).filter(Boolean) } : {}),
    progress: (l) => process.stdout.write(`${l}\n`),
  });
  if (!strip && !values['no-strip']) process.stdout.write(`note: ${target.strip} not found, binary left unstripped\n`);
  process.stdout.write(`${result.binary}\n`);
} catch (err) {
  process.stderr.write(`package: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
