/**
 * Scale-out benchmark (issue 9), run by hand — not part of `npm test`:
 *   node --import tsx cloud/test/e2e/21-scale-out-bench.ts [gateways=200] [rateHz=50] [seconds=5] [idleGateways=2000] [only]
 * `only`: comma-separated subset of sqlite,js1,js2 (default all).
 *
 * Starts nats-server (1 node, JetStream, R1) and Causeway nodes as child processes (20-scale-out-node.ts),
 * drives them with the fleet simulator in this process, and prints one JSON line per scenario:
 * - throughput: acknowledged QoS 1 publishes/s and ack latency, SQLite 1 node vs JetStream 1 node vs 2 nodes
 * - connections: `idleGateways` idle connections held by one node, RSS growth per connection
 * Everything shares this machine's cores; see docs/scale-out.md for how to read the figures.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFleet } from '@causeway/sim/fleet/run-fleet.js';
import { startNats } from '../store/jetstream-server.js';

const [gateways = 200, rateHz = 50, seconds = 5, idle = 2000] = process.argv.slice(2, 6).map(Number);
const only = new Set((process.argv[6] ?? 'sqlite,js1,js2').split(','));
const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = fileURLToPath(new URL('./20-scale-out-node.ts', import.meta.url));
const children: ChildProcess[] = [];

function startNode(args: string[]): Promise<{ url: string; pid: number; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line !== undefined) {
        const info = JSON.parse(line) as { port: number; pid: number };
        resolve({ url: `mqtt://127.0.0.1:${info.port}`, pid: info.pid, child });
      }
    });
    child.once('exit', (code) => reject(new Error(`node exited ${String(code)}`)));
  });
}

const rss = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

async function throughput(label: string, urls: string[]): Promise<void> {
  const fleet = startFleet({ url: urls[0]!, urls, gateways, rateHz, qos: 1, connectRatePerSec: 1000, idPrefix: `${label}-` });
  await fleet.allConnected(60_000);
  await new Promise((r) => setTimeout(r, 1000)); // warm-up
  fleet.markWindow();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const r = await fleet.stop();
  console.log(JSON.stringify({ scenario: label, gateways, offeredPerSec: gateways * rateHz, ackedPerSec: r.ackedPerSec, ackLatencyMs: r.ackLatencyMs, publishErrors: r.publishErrors }));
}

async function connections(label: string, node: { url: string; pid: number }): Promise<void> {
  const before = rss(node.pid);
  const fleet = startFleet({ url: node.url, gateways: idle, rateHz: 0, connectRatePerSec: 1000, keepaliveS: 300, idPrefix: `${label}-idle-` });
  const t0 = Date.now();
  await fleet.allConnected(120_000);
  const connectMs = Date.now() - t0;
  await new Promise((r) => setTimeout(r, 2000));
  const after = rss(node.pid);
  const sim = fleet.report().rssBytes;
  await fleet.stop();
  console.log(JSON.stringify({ scenario: `${label} idle connections`, connections: idle, connectMs, nodeRssBeforeMiB: +(before / 2 ** 20).toFixed(1), nodeRssAfterMiB: +(after / 2 ** 20).toFixed(1), nodeBytesPerConnection: Math.round((after - before) / idle), simulatorRssMiB: +(sim / 2 ** 20).toFixed(1) }));
}

const dir = mkdtempSync(join(tmpdir(), 'causeway-bench-'));
const nats = await startNats(1);
try {
  if (only.has('sqlite')) {
    const sqlite = await startNode([`sqlite:${dir}`, '-', 'sqlite-1']);
    await throughput('sqlite-1-node', [sqlite.url]);
    await connections('sqlite', sqlite);
    sqlite.child.kill('SIGKILL');
  }
  if (only.has('js1')) {
    const a = await startNode([nats.urls.join(','), `bench1${Date.now()}`, 'js-a', '1']);
    await throughput('jetstream-1-node', [a.url]);
    await connections('jetstream', a);
    a.child.kill('SIGKILL');
  }
  if (only.has('js2')) {
    // a fresh log, so the 2-node figure is not paid for by replaying the 1-node run
    const prefix = `bench2${Date.now()}`;
    const [a, b] = await Promise.all([startNode([nats.urls.join(','), prefix, 'js-a', '1']), startNode([nats.urls.join(','), prefix, 'js-b', '1'])]);
    await throughput('jetstream-2-nodes', [a.url, b.url]);
  }
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
}
