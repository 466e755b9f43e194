/**
 * Several causeway-cloud nodes sharing one JetStream store (docs/scale-out.md), started for a benchmark the
 * way an operator starts them: one nats-server with JetStream (file store in a temp dir) and N
 * `dist/cloud/src/main.js` processes with `--store.backend jetstream`, the control plane on the first only.
 */
import { startCauseway, startNats, type RunningBroker } from './competitors.js';

export interface JetStreamCluster {
  nats: RunningBroker;
  nodes: RunningBroker[];
  /** mqtt://127.0.0.1:PORT of every node, node 0 first */
  urls: string[];
  /** stops the nodes (in parallel), then nats-server; idempotent */
  stop(): Promise<void>;
}

/** causeway-cloud flags for node `index` of a cluster on `natsUrl` (pure, for tests). */
export function jetstreamNodeArgs(o: { natsUrl: string; prefix: string; index: number; maxConnections: number }): string[] {
  return [
    '--store.backend', 'jetstream',
    '--store.jetstream.servers', o.natsUrl,
    '--store.jetstream.prefix', o.prefix,
    '--node.id', `node-${o.index}`,
    // the default, 10,000, refuses the rest: raise it as an operator would
    '--limits.maxConnections', String(o.maxConnections),
    // the fleet gives each gateway its own 127.x.y.z, but other loads come from 127.0.0.1 (default cap 1,000)
    '--limits.maxConnectionsPerSource', '0',
  ];
}

/**
 * Starts nats-server, then node 0 (it creates the stream and buckets), then the others in parallel.
 * On any failure everything started so far is stopped before the error is rethrown.
 */
export async function startJetStreamCluster(o: { nodes: number; maxConnectionsPerNode: number; prefix: string; extraArgs?: readonly string[] }): Promise<JetStreamCluster> {
  const nats = await startNats({ natsMqtt: false, natsMonitor: true });
  const nodes: RunningBroker[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(nodes.map((n) => n.stop()));
    await nats.stop();
  };
  try {
    const start = (index: number): Promise<RunningBroker> =>
      startCauseway({
        startTimeoutMs: 30_000,
        causewayArgs: [...jetstreamNodeArgs({ natsUrl: nats.natsUrl!, prefix: o.prefix, index, maxConnections: o.maxConnectionsPerNode }), ...(o.extraArgs ?? [])],
      });
    nodes.push(await start(0));
    const rest = await Promise.allSettled(Array.from({ length: o.nodes - 1 }, (_, i) => start(i + 1)));
    for (const r of rest) if (r.status === 'fulfilled') nodes.push(r.value);
    const failed = rest.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  } catch (err) {
    await stop();
    throw err;
  }
  return { nats, nodes, urls: nodes.map((n) => n.url), stop };
}
