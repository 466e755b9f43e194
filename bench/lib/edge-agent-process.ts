/**
 * The edge agent as a real child process for the benchmarks: `node dist/edge/src/main.js` (the built
 * binary, as deployed) with flags for the store, the broker and whatever the benchmark varies, stdin as
 * a pipe (`--input.stdin true`), ready once its status socket answers. Every agent still running when the
 * runner exits is killed, so none is left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { readStatus } from '@causeway/shared/health';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const live = new Set<ChildProcess>();
let hooked = false;

export interface EdgeAgentProcessOptions {
  /** store.path; the status socket and inbox.db go beside it */
  storePath: string;
  brokerUrl: string;
  gateway: string;
  /** more `--key value` flags (e.g. `uplink.inflight: '1'`) */
  flags?: Readonly<Record<string, string>>;
  /** node/V8 flags before the script (e.g. `--max-semi-space-size=1`, as the systemd unit sets them) */
  nodeFlags?: readonly string[];
  /** how long to wait for the status socket; default 30 s (opening a 1M-row outbox takes a moment) */
  readyTimeoutMs?: number;
  /** the agent's main script, for another build in the same run (default edgeMain()) */
  main?: string;
  /**
   * runs this instead of `node [nodeFlags] main`, the agent's flags appended: e.g. the arm64 single
   * executable under qemu-user, `['qemu-aarch64', '-L', '/usr/aarch64-linux-gnu', '…/causeway-edge']`
   * (its pid is then qemu's, which is the process that runs the agent)
   */
  command?: readonly string[];
  /** more environment variables (e.g. NODE_OPTIONS, as the systemd unit sets it) */
  env?: Readonly<Record<string, string>>;
}

export interface EdgeAgentProcess {
  pid: number;
  stdin: Writable;
  statusPath: string;
  /** one snapshot from the status socket (`causeway-edge status`) */
  status(): Promise<Record<string, unknown>>;
  /** SIGTERM (the agent drains), SIGKILL after `graceMs` */
  stop(graceMs?: number): Promise<void>;
  /** the agent's stderr/stdout tail, for error messages */
  output(): string;
}

/** `dist/edge/src/main.js`, or CAUSEWAY_BENCH_EDGE_MAIN for another build. */
export function edgeMain(): string {
  return resolve(repoRoot, process.env['CAUSEWAY_BENCH_EDGE_MAIN'] ?? join('dist', 'edge', 'src', 'main.js'));
}

export async function startEdgeAgentProcess(o: EdgeAgentProcessOptions): Promise<EdgeAgentProcess> {
  const main = o.main ?? edgeMain();
  if (o.command === undefined && !existsSync(main)) throw new Error(`${main} missing: run \`npm run build\` first`);
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    });
  }
  const statusPath = join(dirname(o.storePath), 'status.sock');
  const [program, ...prefix] = o.command ?? [process.execPath, ...(o.nodeFlags ?? []), main];
  const args = [
    ...prefix,
    '--gateway.id', o.gateway,
    '--cloud.url', o.brokerUrl,
    '--store.path', o.storePath,
    '--input.stdin', 'true',
    '--log.level', 'warn',
    '--health.port', '-1',
    // the reconnect backoff must not make a run wait for a broker that is already up
    '--cloud.backoffBaseMs', '100',
    ...Object.entries(o.flags ?? {}).flatMap(([k, v]) => [`--${k}`, v]),
  ];
  const child = spawn(program!, args, { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production', ...o.env } });
  live.add(child);
  let out = '';
  const keep = (b: Buffer): void => {
    out = (out + b.toString('utf8')).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  // An agent that exits early closes the pipe: a later write must not crash the runner.
  child.stdin!.on('error', () => undefined);
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  let gone = false;
  void exited.then(() => {
    gone = true;
    live.delete(child);
  });

  const stop = async (graceMs = 10_000): Promise<void> => {
    if (gone) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
  };

  const deadline = Date.now() + (o.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (gone) throw new Error(`edge agent exited (code ${String(child.exitCode)}) before its status socket answered: ${out.trim().split('\n').slice(-3).join(' / ')}`);
    try {
      await readStatus(statusPath, 1000);
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop(1000);
        throw new Error(`edge agent: no status on ${statusPath} within ${o.readyTimeoutMs ?? 30_000} ms`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { pid: child.pid!, stdin: child.stdin!, statusPath, status: () => readStatus(statusPath), stop, output: () => out };
}
