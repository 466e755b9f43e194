import { type JetStreamClient, type JetStreamManager, type KV, type NatsConnection, StorageType, connect } from 'nats';
import { type BrokerStore, StoreError } from '@causeway/broker';
import { JetStreamOffsets, JetStreamRetained, JetStreamSessions } from './jetstream-kv-stores.js';
import { FilterRegistry } from './filter-registry.js';
import { RetainedIndex } from './retained-index.js';
import { JetStreamLog } from './jetstream-log.js';
import { type JetStreamStoreOptions, type NormalizedJetStreamOptions, normalizeJetStreamOptions } from './jetstream-options.js';

export interface JetStreamStore extends BrokerStore {
  readonly log: JetStreamLog;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly options: NormalizedJetStreamOptions;
}

/**
 * `store.backend = jetstream`: a BrokerStore whose state lives in a NATS JetStream cluster, so several
 * stateless Causeway nodes can serve any client (issue 9). Connects, creates the stream and KV buckets if
 * missing (R1 or R3 as configured), replays the log into this node's index and keeps tailing it.
 *
 * @example
 * const store = await openJetStreamStore({ servers: ['nats://127.0.0.1:4222'], replicas: 3 });
 * const r = await store.log.append(msg, ['q:telemetry', 't:telemetry/gw1/d1/temp']);
 * await store.close();
 */
export async function openJetStreamStore(options: JetStreamStoreOptions): Promise<JetStreamStore> {
  const o = normalizeJetStreamOptions(options);
  let nc: NatsConnection;
  try {
    nc = await connect(o.connection);
  } catch (err) {
    throw new StoreError('STORE_IO', `cannot connect to NATS at ${o.servers.join(', ')}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const jsm = await nc.jetstreamManager({ timeout: o.timeoutMs });
    const js = nc.jetstream({ timeout: o.timeoutMs });
    const bucket = (name: string): Promise<KV> => js.views.kv(name, { history: 1, replicas: o.replicas, storage: StorageType.File });
    const [offsetsKv, retainedKv, sessionsKv, metaKv, filtersKv] = await Promise.all([
      bucket(o.names.offsetsBucket),
      bucket(o.names.retainedBucket),
      bucket(o.names.sessionsBucket),
      bucket(o.names.metaBucket),
      bucket(o.names.filtersBucket),
    ]);
    let closed = false;
    const assertOpen = (): void => {
      if (closed) throw new StoreError('STORE_CLOSED', 'jetstream store is closed');
    };
    const filters = new FilterRegistry(filtersKv);
    await filters.start();
    const retainedIndex = new RetainedIndex(retainedKv);
    await retainedIndex.start();
    const log = new JetStreamLog(nc, js, jsm, metaKv, o, assertOpen, filters);
    await log.start();
    return {
      log,
      offsets: new JetStreamOffsets(offsetsKv, assertOpen),
      retained: new JetStreamRetained(retainedKv, retainedIndex, assertOpen),
      sessions: new JetStreamSessions(sessionsKv, assertOpen),
      nc,
      js,
      jsm,
      options: o,
      async close() {
        if (closed) return;
        closed = true;
        await log.stop();
        await filters.stop();
        await retainedIndex.stop();
        await closeConnection(nc, o.timeoutMs);
      },
    };
  } catch (err) {
    await nc.close();
    if (err instanceof StoreError) throw err;
    throw new StoreError('STORE_IO', `cannot set up JetStream store: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Drains the connection (flushes what was published) within `timeoutMs`, then makes sure it is closed:
 * with every nats-server down, drain() resolves without closing, and the client's reconnect timers would
 * keep the process alive after it logged "stopped" [issue 23].
 */
async function closeConnection(nc: NatsConnection, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([nc.drain().catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
  clearTimeout(timer);
  if (!nc.isClosed()) await nc.close().catch(() => undefined);
}

/** Deletes everything a store with these options created (tests, `causeway` admin reset). */
export async function destroyJetStreamStore(jsm: JetStreamManager, o: NormalizedJetStreamOptions): Promise<void> {
  const n = o.names;
  for (const stream of [n.stream, ...[n.offsetsBucket, n.retainedBucket, n.sessionsBucket, n.metaBucket, n.filtersBucket, n.registryBucket, n.commandsBucket, n.targetsBucket, n.configBucket, n.fleetBucket, n.secretsBucket, n.leasesBucket, n.sinksBucket, n.artifactsBucket].map((b) => `KV_${b}`), `OBJ_${n.blobsBucket}`]) {
    await jsm.streams.delete(stream).catch(() => undefined);
  }
}
