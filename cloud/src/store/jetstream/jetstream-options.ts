import type { ConnectionOptions } from 'nats';
import { StoreError } from '@causeway/broker';

/** `store.jetstream.*`: where the cluster is and how the store lays itself out in it. */
export interface JetStreamStoreOptions {
  /** NATS URLs, e.g. `nats://127.0.0.1:4222` (several for a cluster: the client fails over between them) */
  servers: string | string[];
  /** names everything this store creates (stream `<prefix>_log`, subjects `<prefix>.msg.…`, KV `<prefix>_…`); default `causeway` */
  prefix?: string;
  /** stream and bucket replicas: 1, or 3 for a 3-node cluster (Raft); default 1 */
  replicas?: number;
  /** stream limits, a safety net under the broker's retention (prune): 0 = none */
  maxAgeMs?: number;
  maxBytes?: number;
  /** credentials: user+pass, or token, or a creds file (NATS decentralised auth) */
  user?: string;
  pass?: string;
  token?: string;
  /** TLS: CA to verify the servers; client cert+key for mutual TLS */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** hot-message cache bounds (defaults 10,000 messages / 64 MiB of payload) */
  cacheMaxMessages?: number;
  cacheMaxBytes?: number;
  /** connection name shown by the server's monitoring (e.g. the node id) */
  name?: string;
  /** ms to wait for a publish ack or API reply; default 5000 */
  timeoutMs?: number;
  /** ms an append keeps being retried while JetStream is unavailable (no stream leader, timeouts) before it fails; default 30000 */
  appendRetryMs?: number;
}

export interface JetStreamNames {
  prefix: string;
  stream: string;
  /** subject root of records: `<prefix>.msg` */
  msgRoot: string;
  offsetsBucket: string;
  retainedBucket: string;
  sessionsBucket: string;
  metaBucket: string;
  filtersBucket: string;
  registryBucket: string;
  /** control plane: commands, their per-device targets, config */
  commandsBucket: string;
  targetsBucket: string;
  configBucket: string;
  /** fleet operations (issue 20): gateway statuses `status.<gw>` and claims `claim.<id>` */
  fleetBucket: string;
  /** generated secrets every node shares (operator token, device-token key) */
  secretsBucket: string;
  /** which node runs each consumer group (leases) */
  leasesBucket: string;
  /** sinks paused or resumed by an operator (issue 21): `pause.<sink>` */
  sinksBucket: string;
  /** artifacts (issue 17): the index `a.<name>.<version>.<target>` → signed manifest (KV) */
  artifactsBucket: string;
  /** artifacts' content, one object per sha256 (Object Store; its stream is `OBJ_<blobsBucket>`) */
  blobsBucket: string;
  /** core subject prefix of requests forwarded to a group's node: `<prefix>.queues.<node>` */
  queuesSubject: string;
  /** core NATS subject of cross-node notifications */
  notifySubject: string;
  /** core NATS subject on which a node asks the others to close a client's connections */
  disconnectSubject: string;
}

export interface NormalizedJetStreamOptions {
  servers: string[];
  names: JetStreamNames;
  replicas: number;
  maxAgeMs: number;
  maxBytes: number;
  cacheMaxMessages: number;
  cacheMaxBytes: number;
  timeoutMs: number;
  appendRetryMs: number;
  connection: ConnectionOptions;
}

const DEFAULTS = Object.freeze({ prefix: 'causeway', replicas: 1, maxAgeMs: 0, maxBytes: 0, cacheMaxMessages: 10_000, cacheMaxBytes: 64 * 1024 * 1024, timeoutMs: 5000, appendRetryMs: 30_000 });

export function namesFor(prefix: string): JetStreamNames {
  return {
    prefix,
    stream: `${prefix}_log`,
    msgRoot: `${prefix}.msg`,
    offsetsBucket: `${prefix}_offsets`,
    retainedBucket: `${prefix}_retained`,
    sessionsBucket: `${prefix}_sessions`,
    metaBucket: `${prefix}_meta`,
    filtersBucket: `${prefix}_filters`,
    registryBucket: `${prefix}_registry`,
    commandsBucket: `${prefix}_commands`,
    targetsBucket: `${prefix}_cmd_targets`,
    configBucket: `${prefix}_config`,
    fleetBucket: `${prefix}_fleet`,
    secretsBucket: `${prefix}_secrets`,
    leasesBucket: `${prefix}_leases`,
    sinksBucket: `${prefix}_sinks`,
    artifactsBucket: `${prefix}_artifacts`,
    blobsBucket: `${prefix}_blobs`,
    queuesSubject: `${prefix}.queues`,
    notifySubject: `${prefix}.notify`,
    disconnectSubject: `${prefix}.disconnect`,
  };
}

function invalid(key: string, value: unknown, expected: string): StoreError {
  return new StoreError('STORE_INVALID', `store.jetstream.${key} must be ${expected}, got ${JSON.stringify(value)}`);
}

/** Every default in one place; bad values are STORE_INVALID naming the key. */
export function normalizeJetStreamOptions(o: JetStreamStoreOptions): NormalizedJetStreamOptions {
  const servers = (Array.isArray(o.servers) ? o.servers : String(o.servers ?? '').split(',')).map((s) => s.trim()).filter((s) => s !== '');
  if (servers.length === 0) throw invalid('servers', o.servers, 'one or more NATS URLs');
  const prefix = o.prefix ?? DEFAULTS.prefix;
  if (!/^[A-Za-z0-9_-]+$/.test(prefix)) throw invalid('prefix', prefix, 'letters, digits, "_" or "-"');
  const replicas = o.replicas ?? DEFAULTS.replicas;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) throw invalid('replicas', replicas, 'an integer 1..5 (1 or 3 in practice)');
  const num = (key: keyof typeof DEFAULTS, v: number | undefined, min: number): number => {
    const n = v ?? (DEFAULTS[key] as number);
    if (!Number.isSafeInteger(n) || n < min) throw invalid(key, v, `an integer ≥ ${min}`);
    return n;
  };
  const connection: ConnectionOptions = { servers, name: o.name ?? 'causeway-cloud', maxReconnectAttempts: -1, reconnectTimeWait: 250 };
  if (o.user !== undefined) connection.user = o.user;
  if (o.pass !== undefined) connection.pass = o.pass;
  if (o.token !== undefined) connection.token = o.token;
  if (o.tls !== undefined) {
    // The client reads the files itself (and again on reconnect, so rotated certificates are picked up).
    const tls: NonNullable<ConnectionOptions['tls']> = {};
    if (o.tls.caFile !== undefined) tls.caFile = o.tls.caFile;
    if (o.tls.certFile !== undefined) tls.certFile = o.tls.certFile;
    if (o.tls.keyFile !== undefined) tls.keyFile = o.tls.keyFile;
    connection.tls = tls;
  }
  return Object.freeze({
    servers,
    names: namesFor(prefix),
    replicas,
    maxAgeMs: num('maxAgeMs', o.maxAgeMs, 0),
    maxBytes: num('maxBytes', o.maxBytes, 0),
    cacheMaxMessages: num('cacheMaxMessages', o.cacheMaxMessages, 1),
    cacheMaxBytes: num('cacheMaxBytes', o.cacheMaxBytes, 1),
    timeoutMs: num('timeoutMs', o.timeoutMs, 1),
    appendRetryMs: num('appendRetryMs', o.appendRetryMs, 0),
    connection,
  });
}
