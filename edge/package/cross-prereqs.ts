import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Target } from './targets.js';

/**
 * What a cross build (linux-arm64 from an x64 machine) needs that is not in node_modules, made once
 * and cached under `cacheDir`:
 * - Node's own binary for the target at exactly `process.version` (the SEA blob is only valid for the
 *   version that made it): the npm package `node-linux-<arch>` ships the official build and its headers;
 * - better_sqlite3.node for the target: node_modules has only the host's, and prebuilds cannot be
 *   downloaded here, so it is compiled with the Debian cross compiler against those headers.
 * Debian packages needed: g++-aarch64-linux-gnu (compiler, sysroot libs, strip), qemu-user (to check
 * and run the result).
 */
export interface CrossPrereqs {
  nodeBinary: string;
  sqliteAddon: string;
  /** runs a target binary here, e.g. ['qemu-aarch64', '-L', '/usr/aarch64-linux-gnu'] */
  runner: string[] | undefined;
}

const TOOLCHAIN: Record<string, { triple: string; qemu: string; npmArch: string }> = {
  'linux-arm64': { triple: 'aarch64-linux-gnu', qemu: 'qemu-aarch64', npmArch: 'arm64' },
};

function tool(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; step: string; logFile?: string }): void {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${opts.step}: ${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}${r.error ? ` (${r.error.message})` : ''}\n${out}`);
  }
}

/** The QEMU runner for a target, when qemu-user and the cross sysroot are installed. */
export function runnerFor(t: Target): string[] | undefined {
  const tc = TOOLCHAIN[t.name];
  if (!tc || !tool(tc.qemu)) return undefined;
  const sysroot = `/usr/${tc.triple}`;
  return existsSync(sysroot) ? [tc.qemu, '-L', sysroot] : [tc.qemu];
}

/** node-gyp as shipped inside npm (node_modules has none, and `npm install` is not ours to run). */
function nodeGyp(): string {
  const candidates = [join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'), '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`node-gyp not found (looked in ${candidates.join(', ')})`);
  return found;
}

/** Where the cached target Node and addon are (they may not exist yet). */
export function crossPaths(t: Target, repoRoot: string, cacheDir: string): { dir: string; nodeRoot: string; nodeBinary: string; bs3: string; bs3Version: string; sqliteAddon: string } {
  const version = process.version.slice(1);
  const dir = join(cacheDir, t.name);
  const nodeRoot = join(dir, `node-${version}`);
  const bs3Version = (JSON.parse(readFileSync(join(repoRoot, 'node_modules/better-sqlite3/package.json'), 'utf8')) as { version: string }).version;
  const bs3 = join(dir, `better-sqlite3-${bs3Version}-node-${version}`);
  return { dir, nodeRoot, nodeBinary: join(nodeRoot, 'bin/node'), bs3, bs3Version, sqliteAddon: join(bs3, 'build/Release/better_sqlite3.node') };
}

/** The prerequisites when a previous `prepareCross` left them in the cache, else undefined. */
export function cachedCross(t: Target, repoRoot: string, cacheDir: string): CrossPrereqs | undefined {
  const p = crossPaths(t, repoRoot, cacheDir);
  return existsSync(p.nodeBinary) && existsSync(p.sqliteAddon) ? { nodeBinary: p.nodeBinary, sqliteAddon: p.sqliteAddon, runner: runnerFor(t) } : undefined;
}

export function prepareCross(t: Target, repoRoot: string, cacheDir: string, say: (l: string) => void): CrossPrereqs {
  const tc = TOOLCHAIN[t.name];
  if (!tc) throw new Error(`no cross toolchain known for ${t.name}`);
  if (!tool(`${tc.triple}-g++`)) throw new Error(`${tc.triple}-g++ not found: apt-get install g++-${tc.triple} (and qemu-user to test the result)`);
  const version = process.version.slice(1);
  const { dir, nodeRoot, nodeBinary, bs3, bs3Version, sqliteAddon } = crossPaths(t, repoRoot, cacheDir);
  mkdirSync(dir, { recursive: true });

  if (!existsSync(nodeBinary)) {
    say(`[cross] node-linux-${tc.npmArch}@${version} from the npm registry (Node's official ${t.name} build)`);
    rmSync(nodeRoot, { recursive: true, force: true });
    run('npm', ['pack', `node-linux-${tc.npmArch}@${version}`, '--pack-destination', dir, '--silent'], { step: 'npm pack', cwd: dir });
    mkdirSync(nodeRoot);
    run('tar', ['xzf', join(dir, `node-linux-${tc.npmArch}-${version}.tgz`), '-C', nodeRoot, '--strip-components', '1'], { step: 'untar node' });
    rmSync(join(dir, `node-linux-${tc.npmArch}-${version}.tgz`), { force: true });
  } else say(`[cross] ${nodeBinary} (cached)`);

  if (!existsSync(sqliteAddon)) {
    say(`[cross] compile better-sqlite3 ${bs3Version} for ${t.name} with ${tc.triple}-g++ (SQLite amalgamation: about 1.5 min on 2 cores)`);
    rmSync(bs3, { recursive: true, force: true });
    cpSync(join(repoRoot, 'node_modules/better-sqlite3'), bs3, { recursive: true, filter: (src) => !/[\\/]better-sqlite3[\\/]build([\\/]|$)/.test(src) });
    const env = { ...process.env, CC: `${tc.triple}-gcc`, CXX: `${tc.triple}-g++`, LINK: `${tc.triple}-g++`, AR: `${tc.triple}-ar` };
    run(process.execPath, [nodeGyp(), 'rebuild', `--arch=${tc.npmArch}`, `--nodedir=${nodeRoot}`, '--release', '-j', '2'], { cwd: bs3, env, step: 'cross-compile better-sqlite3' });
  } else say(`[cross] ${sqliteAddon} (cached)`);

  return { nodeBinary, sqliteAddon, runner: runnerFor(t) };
}
