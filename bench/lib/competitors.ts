/**
 * Starts and stops real MQTT brokers for the benchmarks, each the way its users start it, on a free
 * loopback port with its own temp dir: mosquitto (Debian binary + generated config), aedes (stock broker
 * on `net`, in a child process), nats-server (JetStream + MQTT block) and causeway-cloud (dist binary).
 * Every child is killed when the benchmark ends, on Ctrl-C and on SIGTERM, so none is left behind.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForPort } from './free-port.js';
import { unitNodeOptions } from './unit-node-options.js';

export type CompetitorName = 'mosquitto' | 'aedes' | 'nats' | 'causeway';
export const COMPETITORS: readonly CompetitorName[] = ['mosquitto', 'aedes', 'nats', 'causeway'];

export interface StartOptions {
  /** mosquitto: `persistence true`; the others always persist (nats, causeway) or never (aedes). */
  persistence?: boolean;
  /** how long to wait for the port to accept; default 15 s */
  startTimeoutMs?: number;
  /** causeway: also serve the HTTP API on a free loopback port (RunningBroker.apiUrl, .operatorTokenFile) */
  api?: boolean;
  /** causeway: extra flags, e.g. `['--limits.maxConnections', '25000']` (the default refuses past 10,000) */
  causewayArgs?: readonly string[];
  /** causeway: Node flags before the script, e.g. `['--cpu-prof', '--cpu-prof-dir=DIR']` (profile written at SIGTERM) */
  causewayNodeArgs?: readonly string[];
  /** mosquitto: extra lines for its config file, e.g. `autosave_interval 1` */
  mosquittoConfig?: readonly string[];
  /**
   * nats: false = JetStream only, no MQTT block (a store for causeway-cloud nodes, not an MQTT contender);
   * then `port` is the NATS client port. Default true.
   */
  natsMqtt?: boolean;
  /** nats: also serve its HTTP monitoring endpoints (/varz, /jsz) on a free loopback port (RunningBroker.natsMonitorUrl) */
  natsMonitor?: boolean;
}

export interface RunningBroker {
  name: CompetitorName;
  /** name and version, e.g. "mosquitto 2.0.11" */
  label: string;
  port: number;
  url: string;
  pid: number;
  /** the broker's temp dir (config, store); removed by stop() */
  dir: string;
  /** highest MQTT protocol version the broker speaks (aedes 0.51 and nats-server: 3.1.1 only) */
  protocolVersion: 4 | 5;
  stop(): Promise<void>;
  /** SIGTERM and wait for the exit (SIGKILL after 3 s) but keep the temp dir, to measure what was saved */
  terminate(): Promise<void>;
  /** the last ~4,000 characters the broker wrote to stdout/stderr, to explain a failure */
  output(): string;
  /** causeway started with `api: true`: http://127.0.0.1:PORT */
  apiUrl?: string;
  /** causeway: where the generated operator token is written (readable once the API listens) */
  operatorTokenFile?: string;
  /** nats: the NATS client URL, nats://127.0.0.1:PORT (what causeway-cloud's store.jetstream.servers takes) */
  natsUrl?: string;
  /** nats started with `natsMonitor`: http://127.0.0.1:PORT */
  natsMonitorUrl?: string;
}

/** Thrown when a broker cannot be started (missing binary, exits at once, never listens). */
export class CompetitorUnavailableError extends Error {
  override readonly name = 'CompetitorUnavailableError';
  constructor(readonly competitor: CompetitorName, message: string, options?: { cause?: unknown }) {
    super(`${competitor}: ${message}`, options);
  }
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const running = new Set<{ child: ChildProcess; dir: string }>();
let hooksInstalled = false;

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL whatever is still alive and drop the temp dirs.
  process.on('exit', () => {
    for (const r of running) {
      if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
      rmSync(r.dir, { recursive: true, force: true });
    }
  });
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping brokers\n`);
      void stopAllCompetitors().finally(() => process.exit(code));
    });
  }
}

function versionOf(cmd: string, args: string[], pattern: RegExp): string {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
    return pattern.exec(out)?.[1] ?? '?';
  } catch (err) {
    // mosquitto -h exits 3 but prints the version on stdout
    const out = String((err as { stdout?: unknown }).stdout ?? '');
    return pattern.exec(out)?.[1] ?? '?';
  }
}

function packageVersion(pkgJson: string): string {
  try {
    return (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version?: string }).version ?? '?';
  } catch {
    return '?';
  }
}

interface SpawnSpec {
  name: CompetitorName;
  label: string;
  command: string;
  args: string[];
  port: number;
  dir: string;
  protocolVersion: 4 | 5;
}

/**
 * Spawns the broker through `sh` so its open-file limit can be raised to the hard limit first (1,000
 * subscribers need 1,000 descriptors), then waits for the port. `exec` keeps the pid the broker's own.
 */
async function spawnBroker(spec: SpawnSpec, timeoutMs: number): Promise<RunningBroker> {
  installHooks();
  const child = spawn('/bin/sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', spec.command, ...spec.args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const entry = { child, dir: spec.dir };
  running.add(entry);
  let output = '';
  const keep = (b: Buffer): void => {
    output = (output + b.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exitedPromise = new Promise<void>((res) => child.once('exit', () => {
    exited = true;
    res();
  }));

  const terminate = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exitedPromise;
      clearTimeout(timer);
    }
  };
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exitedPromise;
      clearTimeout(timer);
    }
    running.delete(entry);
    rmSync(spec.dir, { recursive: true, force: true });
  };

  const up = await waitForPort(spec.port, timeoutMs, () => exited);
  if (!up) {
    const code = child.exitCode;
    await stop();
    const why = exited ? `exited (code ${String(code)}) before listening` : `did not listen on ${spec.port} within ${timeoutMs} ms`;
    throw new CompetitorUnavailableError(spec.name, `${why}: ${output.trim().split('\n').slice(-3).join(' / ') || 'no output'}`);
  }
  return {
    name: spec.name,
    label: spec.label,
    port: spec.port,
    url: `mqtt://127.0.0.1:${spec.port}`,
    pid: child.pid ?? -1,
    dir: spec.dir,
    protocolVersion: spec.protocolVersion,
    stop,
    terminate,
    output: () => output,
  };
}

function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `causeway-bench-${name}-`));
  // mosquitto started as root drops to the "mosquitto" user, which must still write its persistence file.
  chmodSync(dir, 0o777);
  return dir;
}

export async function startMosquitto(opts: StartOptions = {}): Promise<RunningBroker> {
  const bin = '/usr/sbin/mosquitto';
  if (!existsSync(bin)) throw new CompetitorUnavailableError('mosquitto', `${bin} not installed (apt-get install mosquitto)`);
  const port = await freePort();
  const dir = tempDir('mosquitto');
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    `persistence ${opts.persistence === true ? 'true' : 'false'}`,
    `persistence_location ${dir}/`,
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    ...(opts.mosquittoConfig ?? []),
    '',
  ].join('\n'));
  const version = versionOf(bin, ['-h'], /mosquitto version (\S+)/);
  return spawnBroker({ name: 'mosquitto', label: `mosquitto ${version}${opts.persistence === true ? ' (persistence on)' : ''}`, command: bin, args: ['-c', conf], port, dir, protocolVersion: 5 }, opts.startTimeoutMs ?? 15_000);
}

export async function startAedes(opts: StartOptions = {}): Promise<RunningBroker> {
  const port = await freePort();
  const dir = tempDir('aedes');
  const version = packageVersion(join(repoRoot, 'node_modules', 'aedes', 'package.json'));
  return spawnBroker({
    name: 'aedes',
    label: `aedes ${version}`,
    command: process.execPath,
    args: ['--import', 'tsx', join(repoRoot, 'bench', 'lib', 'aedes-server.ts'), '--port', String(port)],
    port,
    dir,
    // aedes 0.51 answers an MQTT 5 CONNECT with "unacceptable protocol version"
    protocolVersion: 4,
  }, opts.startTimeoutMs ?? 15_000);
}

export async function startNats(opts: StartOptions = {}): Promise<RunningBroker> {
  const bin = ['/usr/bin/nats-server', '/usr/sbin/nats-server', '/usr/local/bin/nats-server'].find((p) => existsSync(p));
  if (bin === undefined) throw new CompetitorUnavailableError('nats', 'nats-server not installed (apt-get install nats-server)');
  const port = await freePort();
  const clientPort = await freePort();
  const dir = tempDir('nats');
  mkdirSync(join(dir, 'js'));
  const conf = join(dir, 'nats.conf');
  // MQTT in nats-server needs JetStream and a server_name; QoS 1 messages and sessions live in streams.
  const mqtt = opts.natsMqtt ?? true;
  const monitorPort = opts.natsMonitor === true ? await freePort() : -1;
  writeFileSync(conf, [
    `listen: "127.0.0.1:${clientPort}"`,
    'server_name: "causeway-bench"',
    `jetstream { store_dir: "${join(dir, 'js')}" }`,
    ...(mqtt ? [`mqtt { listen: "127.0.0.1:${port}" }`] : []),
    ...(monitorPort > 0 ? [`http: "127.0.0.1:${monitorPort}"`] : []),
    '',
  ].join('\n'));
  const version = versionOf(bin, ['--version'], /v(\d+\.\d+\.\d+)/);
  const label = `nats-server ${version} (${mqtt ? 'MQTT on JetStream' : 'JetStream, file store'})`;
  const broker = await spawnBroker({ name: 'nats', label, command: bin, args: ['-js', '-c', conf], port: mqtt ? port : clientPort, dir, protocolVersion: 4 }, opts.startTimeoutMs ?? 15_000);
  return { ...broker, natsUrl: `nats://127.0.0.1:${clientPort}`, ...(monitorPort > 0 ? { natsMonitorUrl: `http://127.0.0.1:${monitorPort}` } : {}) };
}

/**
 * causeway-cloud from its built binary. CAUSEWAY_BENCH_CLOUD_MAIN points at another build of
 * dist/cloud/src/main.js (e.g. `tsc -p tsconfig.build.json --outDir bench/dist`, so a benchmark never
 * rewrites the dist/ other work is using). Node runs it with its systemd unit's flags (cloudUnitNodeArgs);
 * CAUSEWAY_BENCH_CLOUD_NODE_ARGS adds Node flags for an A/B of V8 settings (e.g.
 * `--max-semi-space-size=16`, V8's own maximum), after the caller's own.
 */
export async function startCauseway(opts: StartOptions = {}): Promise<RunningBroker> {
  const main = resolve(repoRoot, process.env['CAUSEWAY_BENCH_CLOUD_MAIN'] ?? join('dist', 'cloud', 'src', 'main.js'));
  if (!existsSync(main)) throw new CompetitorUnavailableError('causeway', `${main} missing: run \`npm run build\` first`);
  const port = await freePort();
  const dir = tempDir('causeway');
  const version = packageVersion(join(repoRoot, 'package.json'));
  const apiPort = opts.api === true ? await freePort() : -1;
  const unitFlags = cloudUnitNodeArgs();
  const broker = await spawnBroker({
    name: 'causeway',
    label: `causeway-cloud ${version} (${storeBackend(opts.causewayArgs ?? [])} store${unitFlags.length > 0 ? `, ${unitFlags.join(' ')} as its unit` : ''})`,
    command: process.execPath,
    // log.level warn: like the others' configs, keep per-connection info lines out of the measurement;
    // anonymous clients like the others; no HTTP API listener (it would want a port of its own).
    // Every load generator connects from loopback: lift the per-source cap (default 1,000) unless the caller sets it.
    args: [...unitFlags, ...(opts.causewayNodeArgs ?? []), ...(process.env['CAUSEWAY_BENCH_CLOUD_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== ''), main, '--mqtt.port', String(port), '--store.path', join(dir, 'store'), '--log.level', 'warn', '--auth.allowAnonymous', 'true', '--api.port', String(apiPort), ...(apiPort > 0 ? ['--api.host', '127.0.0.1'] : []), ...((opts.causewayArgs ?? []).includes('--limits.maxConnectionsPerSource') ? [] : ['--limits.maxConnectionsPerSource', '0']), ...(opts.causewayArgs ?? [])],
    port,
    dir,
    protocolVersion: 5,
  }, opts.startTimeoutMs ?? 15_000);
  if (apiPort < 0) return broker;
  if (!(await waitForPort(apiPort, opts.startTimeoutMs ?? 15_000))) {
    await broker.stop();
    throw new CompetitorUnavailableError('causeway', `HTTP API did not listen on ${apiPort}`);
  }
  return { ...broker, apiUrl: `http://127.0.0.1:${apiPort}`, operatorTokenFile: join(dir, 'store', 'operator-token') };
}

/**
 * The Node flags systemd/causeway-cloud.service starts causeway-cloud with (NODE_OPTIONS): every benchmark
 * starts it the way the unit does. The caller's and CAUSEWAY_BENCH_CLOUD_NODE_ARGS come after them, and
 * V8 takes the last of a repeated flag, so an A/B can override them (e.g. `--max-semi-space-size=16`).
 */
export function cloudUnitNodeArgs(): string[] {
  return unitNodeOptions(readFileSync(join(repoRoot, 'systemd', 'causeway-cloud.service'), 'utf8'));
}

/** The value of the last `--store.backend X` among causeway-cloud's flags; sqlite, its default, when absent. */
export function storeBackend(args: readonly string[]): string {
  let backend = 'sqlite';
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--store.backend' && args[i + 1] !== undefined) backend = args[++i]!;
    else if (a.startsWith('--store.backend=')) backend = a.slice('--store.backend='.length);
  }
  return backend;
}

export async function startCompetitor(name: CompetitorName, opts: StartOptions = {}): Promise<RunningBroker> {
  switch (name) {
    case 'mosquitto':
      return startMosquitto(opts);
    case 'aedes':
      return startAedes(opts);
    case 'nats':
      return startNats(opts);
    case 'causeway':
      return startCauseway(opts);
  }
}

/** Stops every broker still running (the runner calls this when a benchmark ends or fails). */
export async function stopAllCompetitors(): Promise<void> {
  const live = [...running];
  await Promise.all(live.map(async (r) => {
    if (r.child.exitCode === null && r.child.signalCode === null) {
      r.child.kill('SIGTERM');
      const timer = setTimeout(() => r.child.kill('SIGKILL'), 3000);
      await new Promise((res) => r.child.once('exit', res));
      clearTimeout(timer);
    }
    running.delete(r);
    rmSync(r.dir, { recursive: true, force: true });
  }));
}

export function isCompetitorName(s: string): s is CompetitorName {
  return (COMPETITORS as readonly string[]).includes(s);
}
