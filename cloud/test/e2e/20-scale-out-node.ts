/**
 * One Causeway cloud node on the JetStream backend, for e2e 20 (run as a child process so it can be
 * killed -9): store → cross-node link → broker → TCP listener on a free loopback port. It is the wiring
 * the composition root needs for `store.backend = jetstream` (docs/scale-out.md), minus config.
 *
 * Usage: node --import tsx 20-scale-out-node.ts <natsUrls,comma-separated> <prefix> <nodeId> <replicas>
 *    or: node --import tsx 20-scale-out-node.ts sqlite:<dataDir> - <nodeId>   (one node on SQLite, for benchmarks)
 * Prints one JSON line `{"ready":true,"port":N,"crossNode":bool,"sessionsAcrossNodes":bool}`; SIGTERM drains.
 */
import { Broker, startTcpListener, type BrokerStore, openSqliteStore } from '@causeway/broker';
import { openJetStreamStore, type JetStreamStore } from '../../src/store/jetstream/jetstream-store.js';
import { linkNode } from '../../src/store/jetstream/node-link.js';

const [urls, prefix, nodeId, replicas] = process.argv.slice(2);
if (urls === undefined || prefix === undefined || nodeId === undefined) throw new Error('usage: 20-scale-out-node.ts <urls> <prefix> <nodeId> [replicas]');

const sqliteDir = urls.startsWith('sqlite:') ? urls.slice('sqlite:'.length) : undefined;
// A fresh cluster may still be electing its meta leader: retry opening for a bounded time.
let store: JetStreamStore | undefined;
const deadline = Date.now() + 30_000;
for (let attempt = 0; store === undefined && sqliteDir === undefined; attempt++) {
  try {
    store = await openJetStreamStore({ servers: urls.split(','), prefix, name: nodeId, replicas: Number(replicas ?? '1'), timeoutMs: 3000 });
  } catch (err) {
    if (Date.now() > deadline) throw err;
    await new Promise((r) => setTimeout(r, 250));
  }
}
const s: BrokerStore = sqliteDir === undefined ? store! : openSqliteStore({ dir: sqliteDir });

/** The broker hooks the lead adds (see the report / docs/scale-out.md); until then they are absent. */
interface CrossNodeBroker {
  notifyRemote?: (topics: readonly string[]) => void;
  loadStoredSession?: (clientId: string) => Promise<unknown>;
}
let broker: Broker | undefined;
const link = store === undefined ? { onAppend: () => undefined, close: async () => undefined } : linkNode(store, { nodeId, onRemote: (topics) => (broker as unknown as CrossNodeBroker | undefined)?.notifyRemote?.(topics) });
broker = new Broker(s, { allowAnonymous: true, maxConnectionsPerSource: 0, onAppend: (t) => link.onAppend(t) }); // benchmark load comes from loopback
await broker.start();
const listener = await startTcpListener('127.0.0.1', 0, broker.handle.bind(broker));
const hooks = broker as unknown as CrossNodeBroker;
process.stdout.write(
  JSON.stringify({ ready: true, port: listener.port, pid: process.pid, crossNode: typeof hooks.notifyRemote === 'function', sessionsAcrossNodes: typeof hooks.loadStoredSession === 'function' }) + '\n',
);

process.once('SIGTERM', () => {
  void (async () => {
    await listener.close();
    await broker!.close();
    await link.close();
    await s.close();
    process.exit(0);
  })();
});
