import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { absentOptionalModulesPlugin, betterSqliteAddonPlugin, NATIVE_DIR, projectSourcePlugin, serialportAddonPlugin, SERIALPORT_ADDON, SQLITE_ADDON } from './bundle-plugins.js';
import { seaAssets, unpackBanner } from './sea-assets.js';
import { elfMachineOfFile, nativeFilesFor, TARGETS, type Target } from './targets.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The fuse Node looks for to know a blob was injected (Node docs, "Single executable applications"). */
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export interface BuildOptions {
  target: Target;
  /** the Node binary that becomes the executable; must be the same Node version as the one running this build */
  nodeBinary: string;
  /** output folder: gets `causeway-edge`, `native/`, `package.json` */
  outDir: string;
  /** entry module (default edge/src/main.ts) */
  entry?: string;
  /** strip the copied Node binary's symbols (-12 MB on Debian's node); needs `strip` for the target */
  strip?: boolean;
  /** V8 code cache in the blob: faster start, only when the target is the machine building */
  codeCache?: boolean;
  /** better_sqlite3.node to ship instead of node_modules' one (a cross-compiled arm64 build) */
  sqliteAddon?: string;
  /** how to run a foreign nodeBinary to check its version, e.g. ['qemu-aarch64', '-L', '/usr/aarch64-linux-gnu'] */
  runner?: string[];
  progress?: (line: string) => void;
}

export interface BuildResult {
  binary: string;
  bytes: { bundle: number; blob: number; binary: number; native: number; total: number };
  ms: number;
}

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;
/** A path as shown in progress lines: relative inside the repository, absolute outside it. */
const shown = (p: string): string => (p.startsWith(`${REPO_ROOT}/`) ? p.slice(REPO_ROOT.length + 1) : p);

/**
 * Builds the edge agent as one executable: bundle → SEA blob → copy of Node with the blob injected →
 * native addons beside it. Throws (with the step in the message) on the first failure.
 */
export async function buildSea(o: BuildOptions): Promise<BuildResult> {
  const t0 = Date.now();
  const say = o.progress ?? (() => {});
  const entry = resolve(o.entry ?? join(REPO_ROOT, 'edge/src/main.ts'));
  const outDir = resolve(o.outDir);
  // Intermediate files (bundle, blob) stay next to the output for inspection, not inside it.
  const work = join(dirname(outDir), `.work-${o.target.name}`);
  rmSync(outDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  mkdirSync(outDir, { recursive: true });
  const bundlePath = join(work, 'causeway-edge.cjs');
  checkNodeBinary(o, say);
  const natives = nativeFilesFor(o.target, REPO_ROOT, o.sqliteAddon);
  // program.ts reads the version from <root>/package.json; the bundle maps <root> to the binary's folder.
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string; license?: string };
  const pkgJson = join(work, 'package.json');
  writeFileSync(pkgJson, `${JSON.stringify({ name: pkg.name, version: pkg.version, license: pkg.license }, null, 2)}\n`);
  // Carried in the blob as well, so the executable alone (a self-update's release) can start (sea-assets.ts).
  const assets = seaAssets(natives, pkgJson);

  say(`[1/5] bundle ${shown(entry)} with esbuild (cjs, node20)`);
  const res = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: bundlePath,
    minify: false,
    legalComments: 'none',
    logLevel: 'silent',
    metafile: true,
    banner: { js: unpackBanner(Object.keys(assets)) },
    plugins: [projectSourcePlugin({ repoRoot: REPO_ROOT, entry }), betterSqliteAddonPlugin(), serialportAddonPlugin(), absentOptionalModulesPlugin()],
  });
  for (const w of res.warnings) say(`      warning: ${w.text}${w.location ? ` (${w.location.file}:${w.location.line})` : ''}`);
  // esbuild turns an `import.meta` it cannot keep into `{}`: a path computed from it would be wrong at run time.
  const lostMeta = res.warnings.filter((w) => w.id === 'empty-import-meta');
  if (lostMeta.length > 0) throw new Error(`bundle: import.meta other than import.meta.url is not available in a SEA: ${lostMeta.map((w) => w.location?.file).join(', ')}`);
  const bundleSrc = readFileSync(bundlePath, 'utf8');
  const leftovers = externalRequires(bundleSrc);
  if (leftovers.length > 0) throw new Error(`bundle: these modules would be looked up on disk at run time and are not there in a SEA: ${leftovers.join(', ')}`);
  const packages = new Set(Object.keys(res.metafile.inputs).map((p) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(p)?.[1]).filter((p): p is string => !!p));
  say(`      ${mb(bundleSrc.length)}, ${Object.keys(res.metafile.inputs).length} modules from ${packages.size} packages, only built-ins left to require`);

  say('[2/5] SEA blob with node --experimental-sea-config');
  const blobPath = join(work, 'sea-prep.blob');
  const seaConfig = join(work, 'sea-config.json');
  writeFileSync(
    seaConfig,
    JSON.stringify({ main: bundlePath, output: blobPath, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: o.codeCache ?? false, assets }, null, 2),
  );
  // The blob format is tied to the Node version: it must be made by the same version as the target.
  run(process.execPath, ['--experimental-sea-config', seaConfig], 'sea blob');
  const blob = readFileSync(blobPath);
  say(`      ${mb(blob.length)}${o.codeCache ? ' (with V8 code cache)' : ''}, assets ${Object.keys(assets).join(', ')}`);

  say(`[3/5] copy ${o.nodeBinary}${o.strip ? ', strip symbols' : ''}, inject the blob with postject`);
  const binary = join(outDir, 'causeway-edge');
  if (o.strip) run(o.target.strip, ['-o', binary, o.nodeBinary], 'strip');
  else copyFileSync(o.nodeBinary, binary);
  chmodSync(binary, 0o755);
  // On Linux there is no code signature to remove (codesign/signtool are macOS/Windows steps).
  // postject runs as a child so that LIEF's stderr chatter can be summarised instead of flooding the log.
  const inj = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules/postject/dist/cli.js'), binary, 'NODE_SEA_BLOB', blobPath, '--sentinel-fuse', SEA_FUSE], { encoding: 'utf8' });
  const { benign, other } = splitPostjectOutput(`${inj.stdout}\n${inj.stderr}`);
  if (inj.status !== 0) throw new Error(`inject: postject exited ${inj.status ?? inj.signal}: ${other.join('\n') || inj.error?.message}`);
  for (const l of other) say(`      postject: ${l}`);
  if (benign > 0) say(`      (${benign} LIEF warnings about unnamed .note sections of the node binary: harmless, the fuse is flipped)`);
  if (!fuseFlipped(readFileSync(binary))) throw new Error(`inject: ${SEA_FUSE} is not set to :1 in ${binary}; Node would start as plain node`);
  const binBytes = statSync(binary).size;
  say(`      ${mb(binBytes)}`);

  say(`[4/5] native addons → ${NATIVE_DIR}/`);
  mkdirSync(join(outDir, NATIVE_DIR), { recursive: true });
  let nativeBytes = 0;
  for (const f of natives) {
    const dest = join(outDir, NATIVE_DIR, f.name === 'sqlite' ? SQLITE_ADDON : SERIALPORT_ADDON);
    copyFileSync(f.from, dest);
    nativeBytes += statSync(dest).size;
    say(`      ${shown(f.from)} (${mb(statSync(dest).size)})`);
  }
  copyFileSync(pkgJson, join(outDir, 'package.json'));

  const bundleBytes = bundleSrc.length;
  const total = binBytes + nativeBytes;
  const ms = Date.now() - t0;
  say(`[5/5] done in ${(ms / 1000).toFixed(1)} s: ${binary} (${mb(binBytes)}) + native ${mb(nativeBytes)} = ${mb(total)}`);
  return { binary, bytes: { bundle: bundleBytes, blob: blob.length, binary: binBytes, native: nativeBytes, total }, ms };
}

/**
 * Pure: the non-built-in module names the bundle still `require`s with a literal string. A SEA's
 * main script can only require built-ins, so each of these would throw at run time (optional ones
 * are resolved to a stub by `absentOptionalModulesPlugin`, so they do not show up here).
 */
export function externalRequires(bundle: string): string[] {
  const names = new Set<string>();
  for (const m of bundle.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)) {
    const name = m[1]!;
    // isBuiltin, not builtinModules: `node:sea` (the unpack banner's) exists only with the scheme.
    if (!isBuiltin(name)) names.add(name);
  }
  return [...names].sort();
}

/** The target Node must be an ELF for the target CPU and the same version as the Node making the blob. */
function checkNodeBinary(o: BuildOptions, say: (l: string) => void): void {
  const m = elfMachineOfFile(o.nodeBinary);
  if (m !== o.target.elfMachine) throw new Error(`node binary ${o.nodeBinary} is ELF machine ${m ?? 'none'}, ${o.target.name} needs ${o.target.elfMachine}`);
  const native = Object.values(TARGETS).find((t) => t.name === `linux-${process.arch}`)?.elfMachine === m;
  if (!native && !o.runner) {
    say(`      warning: cannot run ${o.nodeBinary} here to compare its version with ${process.version}; pass a runner (qemu)`);
    return;
  }
  const v = nodeVersionOf(o.nodeBinary, native ? [] : o.runner);
  if (v !== process.version) throw new Error(`node binary ${o.nodeBinary} is ${v} but this build runs ${process.version}: the SEA blob only works in the same Node version`);
}

/** Pure: postject's output split into the known-harmless LIEF note warnings (counted) and anything else. */
export function splitPostjectOutput(out: string): { benign: number; other: string[] } {
  let benign = 0;
  const other: string[] = [];
  for (const raw of out.split('\n')) {
    // eslint-disable-next-line no-control-regex
    const l = raw.replace(/\x1b\[[0-9;]*m/g, '').trim();
    if (!l) continue;
    if (/^warning: Can't find string offset for section name '\.note[.\d]*'$/.test(l)) benign++;
    else if (!/^Start injection of |Injection done!$/.test(l)) other.push(l);
  }
  return { benign, other };
}

/** Pure: whether the SEA fuse in an executable's bytes says a blob is present (`…:1`). */
export function fuseFlipped(bin: Buffer): boolean {
  const at = bin.indexOf(`${SEA_FUSE}:`);
  return at >= 0 && bin[at + SEA_FUSE.length + 1] === 0x31;
}

function run(cmd: string, args: string[], step: string): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${step}: ${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout || r.error?.message || '').trim()}`);
}

/** The Node version of a binary (`v20.20.2`), by running it, or via qemu when it is foreign. */
export function nodeVersionOf(binary: string, runner: string[] = []): string {
  const [cmd, ...pre] = [...runner, binary];
  return execFileSync(cmd!, [...pre, '--version'], { encoding: 'utf8' }).trim();
}
