import { freePort } from '@causeway/shared';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The Debian package's server (/usr/sbin on Debian, /usr/bin elsewhere); tests skip, saying why, without it. */
export const NATS_SERVER = ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find((p) => existsSync(p)) ?? '/usr/sbin/nats-server';
export const hasNatsServer = (): boolean => existsSync(NATS_SERVER);

/** Skips the suite, saying why, when nats-server is not installed (npm test's preflight stops before that). */
export function requireNatsServer(ctx: Mocha.Context): void {
  if (hasNatsServer()) return;
  console.warn('skipping: nats-server is not installed in /usr/sbin or /usr/bin (apt-get install nats-server)');
  ctx.skip();
}

export { freePort };

export interface NatsNode {
  name: string;
  port: number;
  clusterPort: number;
  url: string;
  dir: string;
  child: ChildProcess;
  /** SIGKILLs the server (the data dir stays) */
  kill(): Promise<void>;
  /** starts it again on the same ports and data dir */
  restart(): Promise<void>;
}

function spawnNode(node: Omit<NatsNode, 'child' | 'kill' | 'restart'>, routes: string[], extraArgs: string[]): Promise<ChildProcess> {
  const args = ['-js', '-sd', node.dir, '-a', '127.0.0.1', '-p', String(node.port), '-n', node.name, ...extraArgs];
  if (routes.length > 0) {
    args.push('--cluster_name', 'cw-test', '--cluster', `nats://127.0.0.1:${node.clusterPort}`, '--routes', routes.join(','));
  }
  const child = spawn(NATS_SERVER, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let log = '';
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nats-server ${node.name} not ready in 10 s: ${log.slice(-2000)}`));
    }, 10_000);
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('Server is ready')) {
        clearTimeout(guard);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(guard);
      reject(new Error(`nats-server ${node.name} exited with ${String(code)}: ${log.slice(-2000)}`));
    });
  });
}

/**
 * Starts `size` nats-server processes with JetStream on free loopback ports, each with its own temp data
 * dir; with size > 1 they form one cluster (full mesh of routes). `extraArgs` go to every server (e.g.
 * `--user u --pass p`). `stop()` kills them and removes the dirs.
 */
export async function startNats(size = 1, extraArgs: string[] = []): Promise<{ nodes: NatsNode[]; urls: string[]; stop: () => Promise<void> }> {
  const specs = [];
  for (let i = 0; i < size; i++) {
    const port = await freePort();
    const clusterPort = size > 1 ? await freePort() : 0;
    specs.push({ name: `n${i + 1}`, port, clusterPort, url: `nats://127.0.0.1:${port}`, dir: mkdtempSync(join(tmpdir(), 'causeway-nats-')) });
  }
  const routes = size > 1 ? specs.map((s) => `nats://127.0.0.1:${s.clusterPort}`) : [];
  const nodes: NatsNode[] = await Promise.all(
    specs.map(async (spec) => {
      const node: NatsNode = {
        ...spec,
        child: await spawnNode(spec, routes, extraArgs),
        async kill() {
          if (node.child.exitCode !== null || node.child.signalCode !== null) return;
          const exited = new Promise((r) => node.child.once('exit', r));
          node.child.kill('SIGKILL');
          await exited;
        },
        async restart() {
          node.child = await spawnNode(spec, routes, extraArgs);
        },
      };
      return node;
    }),
  );
  return {
    nodes,
    urls: nodes.map((n) => n.url),
    async stop() {
      for (const n of nodes) await n.kill();
      for (const n of nodes) rmSync(n.dir, { recursive: true, force: true });
    },
  };
}

export type NatsCluster = Awaited<ReturnType<typeof startNats>>;

/** The cluster of one suite, from `natsForSuite`. */
export interface NatsSuite {
  /** the running cluster, undefined before the suite's `before` ran or when it was skipped */
  readonly cluster: NatsCluster | undefined;
  /** the servers' URLs; throws outside the suite's hooks and tests */
  readonly urls: string[];
  /** the server processes; throws outside the suite's hooks and tests */
  readonly nodes: NatsNode[];
  /** stops the cluster now (the suite's end stops it again, harmlessly) */
  stop(): Promise<void>;
  /** runs `close` when the suite ends, before nats stops, in the order registered */
  closeFirst(close: () => unknown): void;
  /** registers `closeable` to be closed when the suite ends, before nats stops; returns it */
  track<T extends { close(): unknown }>(closeable: T): T;
}

/**
 * Gives the calling describe block its own nats-server cluster of `size` nodes (see `startNats`): registers
 * a `before` hook that skips the suite without nats-server and starts the cluster, and an `after` hook that
 * closes what was tracked, then stops it. Mocha runs `after` hooks in the order they were registered, so
 * this one runs before any the suite adds later: what must go before nats (stores, clients, nodes) is
 * registered through `track`/`closeFirst`, not in a later hook (one copy of the set-up, issue 14).
 */
export function natsForSuite(size = 1, extraArgs: string[] = []): NatsSuite {
  let cluster: NatsCluster | undefined;
  const closers: Array<() => unknown> = [];
  const running = (): NatsCluster => {
    if (cluster === undefined) throw new Error('nats-server is not running: use it inside the suite');
    return cluster;
  };
  before(async function () {
    requireNatsServer(this);
    cluster = await startNats(size, extraArgs);
  });
  after(async () => {
    for (const close of closers.splice(0)) await close();
    await cluster?.stop();
  });
  return {
    get cluster() {
      return cluster;
    },
    get urls() {
      return running().urls;
    },
    get nodes() {
      return running().nodes;
    },
    stop: () => running().stop(),
    closeFirst(close) {
      closers.push(close);
    },
    track(closeable) {
      closers.push(() => closeable.close());
      return closeable;
    },
  };
}
