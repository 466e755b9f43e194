import { type Schema, ConfigError, jsonFormat, parsePublicKey } from '@causeway/shared';
import { accessSync, constants } from 'node:fs';
import { hostname } from 'node:os';
import { parseSinks } from '../sinks/sink-spec.js';

/**
 * Every key of causeway-cloud, with its default and its meaning. Loaded by `loadConfig(cloudSchema)`;
 * the README's config table is generated from it (`describeSchema`).
 */
export interface CloudConfig {
  mqtt: {
    host: string;
    port: number;
    tls: { port: number; cert: string; key: string; ca: string };
    ws: { port: number };
  };
  node: { id: string; drainTimeoutMs: number };
  control: { enabled: boolean };
  store: {
    backend: 'sqlite' | 'memory' | 'jetstream';
    jetstream: { servers: string; prefix: string; replicas: number; maxAgeMs: number; maxBytes: number; appendRetryMs: number; user: string; pass: string; token: string; tls: { caFile: string; certFile: string; keyFile: string } };
    path: string;
    retention: { maxAgeSeconds: number; maxBytes: number; intervalSeconds: number } };
  auth: { allowAnonymous: boolean; tokenKey: string; aclFile: string; kdfLogN: number; failures: { burst: number; refillPerSecond: number } };
  claims: { pendingRetrySeconds: number; caCert: string; caKey: string; certValidityDays: number; certValiditySeconds: number };
  api: { host: string; port: number; operatorToken: string; headersTimeoutMs: number; requestTimeoutMs: number; maxStreams: number };
  queues: { visibilityTimeoutMs: number; window: number };
  /** checked by parseSinks (cloud/src/sinks/sink-spec.ts); startCloudNode parses it again into SinkSpecs */
  sinks: unknown[];
  files: { trustedKeys: string[]; maxArtifactBytes: number; keepVersions: number; cacheMaxBytes: number };
  health: { host: string; port: number };
  limits: {
    maxConnections: number;
    maxConnectionsPerSource: number;
    maxQueuesPerGateway: number;
    maxPacketSize: number;
    maxInflight: number;
    maxOutboundInflight: number;
    maxQueuedPerSession: number;
    maxKeepAlive: number;
    maxSessionExpiry: number;
    topicAliasMaximum: number;
  };
  log: { level: 'debug' | 'info' | 'warn' | 'error' | 'silent' };
}

function keyList(v: unknown): void {
  if (!Array.isArray(v)) throw new Error('must be an array of Ed25519 public keys (base64 SPKI DER, as causeway keys init prints)');
  for (const k of v) parsePublicKey(String(k));
}

export const cloudSchema: Schema = {
  files: {
    trustedKeys: { doc: 'Ed25519 public keys (base64 SPKI DER, from `causeway keys init`) whose signed artifacts the cloud accepts for publishing; empty: publishing is refused', format: keyList, default: [] },
    maxArtifactBytes: { doc: 'Largest artifact (file or release) accepted, in bytes', format: 'nat', default: 1024 * 1024 * 1024 },
    cacheMaxBytes: { doc: 'JetStream only: most bytes of artifact content a node keeps in its local read cache (store.path/artifacts-cache); past it the least recently read files are removed after each fetch (fetched again from JetStream when next read). 0 = no bound', format: 'nat', default: 4 * 1024 * 1024 * 1024 },
    keepVersions: { doc: 'Retention: after a publish, keep the newest this many versions of its name per target and delete older ones no running rollout uses (0: keep all)', format: 'nat', default: 0 },
  },
  mqtt: {
    host: { doc: 'Address the listeners bind to (0.0.0.0 for every interface)', format: String, default: '127.0.0.1' },
    port: { doc: 'MQTT over TCP port (0 = any free port, -1 = off)', format: 'int', default: 1883 },
    tls: {
      port: { doc: 'MQTT over TLS port (0 = any free port, -1 = off); needs cert and key', format: 'int', default: -1 },
      cert: { doc: 'PEM certificate file of the TLS listener', format: String, default: '' },
      key: { doc: 'PEM private key file of the TLS listener', format: String, default: '', sensitive: true },
      ca: { doc: 'PEM CA file: clients may then authenticate with a certificate it signed (CN = device id)', format: String, default: '' },
    },
    ws: {
      port: { doc: 'MQTT over WebSocket port, subprotocol "mqtt" (0 = any free port, -1 = off)', format: 'int', default: -1 },
    },
  },
  control: {
    enabled: { doc: 'Run the control plane (commands, config, their API) on this node. Its state is in control.db (sqlite) or in JetStream KV (jetstream: every node can run it over the same state)', format: Boolean, default: true },
  },
  node: {
    id: { doc: 'This node\'s name among several sharing one JetStream store (cross-node notify; consumer-group leases add a per-process suffix)', format: String, default: hostname() },
    drainTimeoutMs: { doc: 'On SIGTERM/SIGINT, ms to close connections and flush to the store; the process exits when they pass even if something still waits (e.g. every nats-server is down)', format: 'nat', default: 10000 },
  },
  store: {
    backend: { doc: 'Message store: sqlite (embedded, durable), jetstream (NATS JetStream, for several stateless nodes) or memory (lost on exit)', format: ['sqlite', 'memory', 'jetstream'], default: 'sqlite' },
    jetstream: {
      servers: { doc: 'NATS URLs, comma-separated (store.backend=jetstream)', format: String, default: 'nats://127.0.0.1:4222' },
      prefix: { doc: 'Names the stream, subjects and KV buckets this deployment uses', format: String, default: 'causeway' },
      replicas: { doc: 'Stream and bucket replicas: 1, or 3 on a 3-node NATS cluster', format: [1, 3, 5], default: 1 },
      maxAgeMs: { doc: 'Stream limit under the broker retention (0 = none)', format: 'nat', default: 0 },
      maxBytes: { doc: 'Stream byte limit (0 = none)', format: 'nat', default: 0 },
      appendRetryMs: { doc: 'While the log stream is unavailable (a nats-server died and its Raft group elects a new leader), a publish is retried with backoff for this many ms, its PUBACK withheld; past it the publisher is disconnected (0x83)', format: 'nat', default: 30000 },
      user: { doc: 'NATS user', format: String, default: '' },
      pass: { doc: 'NATS password', format: String, default: '', sensitive: true },
      token: { doc: 'NATS token', format: String, default: '', sensitive: true },
      tls: {
        caFile: { doc: 'CA file to verify the NATS servers', format: String, default: '' },
        certFile: { doc: 'Client certificate file (mutual TLS)', format: String, default: '' },
        keyFile: { doc: 'Client key file (mutual TLS)', format: String, default: '', sensitive: true },
      },
    },
    path: { doc: 'Data directory: message store, device registry, control plane, generated secrets', format: String, default: '/var/lib/causeway-cloud' },
    retention: {
      maxAgeSeconds: { doc: 'Drop stored messages older than this (0 = keep)', format: 'nat', default: 7 * 24 * 3600 },
      maxBytes: { doc: 'Drop the oldest messages while the payloads exceed this many bytes (0 = unbounded)', format: 'nat', default: 0 },
      intervalSeconds: { doc: 'How often retention runs', format: 'nat', default: 60 },
    },
  },
  auth: {
    allowAnonymous: { doc: 'DEVELOPMENT ONLY: accept clients without credentials, with full access', format: Boolean, default: false },
    tokenKey: { doc: 'Hex HMAC key (≥ 32 bytes) for device access tokens; empty = generated once into <store.path>/token-key (jetstream: once per cluster, in KV)', format: String, default: '', sensitive: true },
    aclFile: {
      doc: 'Operator ACL file in mosquitto acl_file syntax (user, topic [read|write|readwrite|deny] TOPIC, pattern with %c/%u, # comments), applied on top of the registry\'s access control to backend apps and, in development mode, to anonymous clients; gateways keep their built-in isolation. Anything the file does not grant is refused (SUBACK 0x80/0x87, PUBLISH dropped on 3.1.1, PUBACK 0x87 on v5), counted and logged. Re-read on SIGHUP (a bad file then keeps the old rules); a bad file at start exits 78 naming the line. Empty = none',
      format: String,
      default: '',
    },
    kdfLogN: { doc: 'Cost of the scrypt hash of each device, gateway and app secret: N = 2^kdfLogN (10–20). 14 takes ~30 ms per hash and per first connect on a small VM; each step doubles it. Applies to secrets set from then on', format: 'nat', default: 14 },
    failures: {
      burst: { doc: 'Failed logins one (source address, username) pair may make in a burst before that pair is refused, even with the right secret; other usernames from the same address (a carrier NAT) are not affected', format: 'nat', default: 10 },
      refillPerSecond: { doc: 'Failed logins a (source address, username) pair regains per second', format: Number, default: 0.2 },
    },
  },
  claims: {
    pendingRetrySeconds: { doc: 'A gateway whose registration by a claim made with --approval waits for an operator is told to ask again after this many seconds (202, Retry-After); with a thousand gateways waiting, 60 s is ~17 requests/s', format: 'nat', default: 60 },
    caCert: { doc: 'PEM CA certificate (CA:TRUE) that signs the client certificate of a gateway registering by claim with a CSR (identity.csr on the agent): CN = gateway id, client authentication only. Put it in mqtt.tls.ca too, so the broker accepts those certificates. Empty: no CSRs are signed', format: String, default: '' },
    caKey: { doc: 'PEM private key of claims.caCert (EC P-256/P-384 or RSA, not encrypted); keep it mode 0600', format: String, default: '' },
    certValidityDays: { doc: 'Days a certificate signed for a gateway is valid (never past the CA\'s own end); a gateway registers once, so this bounds how long a stolen gateway key is useful', format: 'nat', default: 365 },
    certValiditySeconds: { doc: 'When above 0, the validity of a gateway certificate in seconds instead of claims.certValidityDays (at least 60): short-lived certificates, which the agents renew over their mTLS link before they end (identity.renewRemaining). The certificate is valid from 5 minutes before signing (a tenth of its validity when shorter), for a gateway\'s clock skew', format: 'nat', default: 0 },
  },
  api: {
    host: { doc: 'Address of the HTTP API (operators, backend apps, the causeway CLI)', format: String, default: '127.0.0.1' },
    port: { doc: 'HTTP API port (0 = any free port, -1 = off)', format: 'int', default: 8080 },
    operatorToken: { doc: 'Bearer token of the HTTP API; empty = generated once into <store.path>/operator-token, mode 0600 (jetstream: once per cluster, in KV)', format: String, default: '', sensitive: true },
    headersTimeoutMs: { doc: 'HTTP API: ms a client has to send the request line and headers; slower ones get 408 and are closed', format: 'nat', default: 10000 },
    requestTimeoutMs: { doc: 'HTTP API: ms a client has to send a whole request, body included (at least api.headersTimeoutMs); long-polls and event streams are not limited by it', format: 'nat', default: 30000 },
    maxStreams: { doc: 'HTTP API: event streams (queue and command streams) open at once; more are answered 503', format: 'nat', default: 100 },
  },
  queues: {
    visibilityTimeoutMs: { doc: 'Server-side queues: ms a pulled message stays leased before it is redelivered', format: 'nat', default: 30000 },
    window: { doc: 'Server-side queues: messages read ahead per consumer group', format: 'nat', default: 1000 },
  },
  sinks: {
    doc: 'Declarative sinks, each a consumer group that writes a queue to a target and acks only after the target committed (docs/operations.md, "Sinks"): [{name, queue, filter?:"/gw1/+/+", transform:{type:readings}|{type:fields,fields:{column:"path"}}, target:{type:postgres,url,passwordFile?,table?}|{type:webhook,url,secretFile,timeoutMs?}, maxMessages?, paused?}]. Default []; listed as secret because a wrong entry may hold one, so it is never echoed',
    format: jsonFormat('causeway-sinks', (v) => void parseSinks(v)),
    // A wrong entry may hold a secret (a password in a URL, refused): never echo the value in the error.
    sensitive: true,
    default: [],
  },
  health: {
    host: { doc: 'Address of /healthz and /metrics', format: String, default: '127.0.0.1' },
    port: { doc: 'Port of /healthz and /metrics (0 = any free port, -1 = off)', format: 'int', default: -1 },
  },
  limits: {
    maxConnections: { doc: 'Connections served at once; more are refused', format: 'nat', default: 10000 },
    maxConnectionsPerSource: { doc: 'Connections from one remote address at once (0 = no limit). The default, 1,000, leaves room for a fleet behind one carrier-NAT address while one address cannot take every slot of limits.maxConnections; refusals are counted (connectionsRefusedPerSource) and logged, rate-limited', format: 'nat', default: 1000 },
    maxQueuesPerGateway: { doc: 'Distinct telemetry/events topics (device/stream and device/event-type pairs, one light queue each) one gateway may publish on, counted per node since it started; a publish on a new one past the limit is refused with v5 reason 0x97 (3.1.1: acknowledged and dropped), counted (queueLimitRefused) and logged rate-limited. 0 = no limit', format: 'nat', default: 1000 },
    maxPacketSize: { doc: 'Largest MQTT packet accepted (bytes)', format: 'nat', default: 1048576 },
    maxInflight: { doc: 'Unacknowledged QoS 1/2 publishes a client may send per connection (the Receive Maximum the broker announces); an inbound QoS 2 publish counts until PUBCOMP, and a v5 client past it is disconnected with 0x93', format: 'nat', default: 64 },
    maxOutboundInflight: { doc: 'QoS 1/2 deliveries the broker keeps unacknowledged per connection (lowered by a v5 client\'s own Receive Maximum). Wide by default so one subscriber keeps up with many publishers: each freed slot waits for the client\'s PUBACK round trip', format: 'nat', default: 512 },
    maxQueuedPerSession: { doc: 'Messages a session may lag behind a queue before the oldest are skipped', format: 'nat', default: 100000 },
    maxKeepAlive: { doc: 'Largest keep-alive (s) granted; 0 = any', format: 'nat', default: 0 },
    maxSessionExpiry: { doc: 'Largest session expiry (s) granted; also the lifetime of 3.1.1 persistent sessions', format: 'nat', default: 604800 },
    topicAliasMaximum: { doc: 'Inbound topic aliases per v5 connection. Outbound, the broker aliases repeated topics on QoS 0/1 deliveries to a client whose CONNECT set Topic Alias Maximum (up to that maximum, at most 1024; when all are taken, a topic not used again since it was aliased gives its alias up first)', format: 'nat', default: 32 },
  },
  log: {
    level: { doc: 'Log level', format: ['debug', 'info', 'warn', 'error', 'silent'], default: 'info' },
  },
};

/** Checks convict cannot express: port ranges with -1 = off, limits that must be ≥ 1. Throws ConfigError. */
export function checkCloudConfig(cfg: CloudConfig): void {
  const ports: Array<[string, number]> = [['mqtt.port', cfg.mqtt.port], ['mqtt.tls.port', cfg.mqtt.tls.port], ['mqtt.ws.port', cfg.mqtt.ws.port], ['api.port', cfg.api.port], ['health.port', cfg.health.port]];
  for (const [key, v] of ports) {
    if (v < -1 || v > 65535) throw new ConfigError(`${key} must be a port 0..65535 (0 = any free port) or -1 (off), got ${v}`, { key });
  }
  const positives: Array<[string, number]> = [
    ['limits.maxConnections', cfg.limits.maxConnections],
    ['limits.maxPacketSize', cfg.limits.maxPacketSize],
    ['limits.maxInflight', cfg.limits.maxInflight],
    ['limits.maxOutboundInflight', cfg.limits.maxOutboundInflight],
    ['limits.maxQueuedPerSession', cfg.limits.maxQueuedPerSession],
    ['api.headersTimeoutMs', cfg.api.headersTimeoutMs],
    ['api.requestTimeoutMs', cfg.api.requestTimeoutMs],
  ];
  if (cfg.api.headersTimeoutMs > cfg.api.requestTimeoutMs) {
    throw new ConfigError(`api.headersTimeoutMs (${cfg.api.headersTimeoutMs}) must not be larger than api.requestTimeoutMs (${cfg.api.requestTimeoutMs})`, { key: 'api.headersTimeoutMs' });
  }
  for (const [key, v] of positives) if (v < 1) throw new ConfigError(`${key} must be at least 1, got ${v}`, { key });
  if (cfg.auth.tokenKey !== '' && !/^([0-9a-fA-F]{2}){32,}$/.test(cfg.auth.tokenKey)) {
    throw new ConfigError('auth.tokenKey must be hex, at least 32 bytes (64 hex digits)', { key: 'auth.tokenKey' });
  }
  parseSinks(cfg.sinks).forEach((sink, i) => {
    const file = sink.target.type === 'postgres' ? sink.target.passwordFile : sink.target.secretFile;
    const key = sink.target.type === 'postgres' ? 'passwordFile' : 'secretFile';
    if (file === undefined) return;
    try {
      accessSync(file, constants.R_OK);
    } catch {
      throw new ConfigError(`sinks[${i}].target.${key}: cannot read ${file} (sink ${sink.name})`, { key: 'sinks' });
    }
  });
  if (cfg.auth.kdfLogN < 10 || cfg.auth.kdfLogN > 20) throw new ConfigError(`auth.kdfLogN must be from 10 to 20, got ${cfg.auth.kdfLogN}`, { key: 'auth.kdfLogN' });
  if (cfg.claims.pendingRetrySeconds < 1 || cfg.claims.pendingRetrySeconds > 3600) throw new ConfigError(`claims.pendingRetrySeconds must be from 1 to 3600, got ${cfg.claims.pendingRetrySeconds}`, { key: 'claims.pendingRetrySeconds' });
  if (cfg.claims.certValidityDays < 1 || cfg.claims.certValidityDays > 3650) throw new ConfigError(`claims.certValidityDays must be from 1 to 3650, got ${cfg.claims.certValidityDays}`, { key: 'claims.certValidityDays' });
  if (cfg.claims.certValiditySeconds !== 0 && cfg.claims.certValiditySeconds < 60) throw new ConfigError(`claims.certValiditySeconds must be 0 (use claims.certValidityDays) or at least 60, got ${cfg.claims.certValiditySeconds}`, { key: 'claims.certValiditySeconds' });
  if ((cfg.claims.caCert === '') !== (cfg.claims.caKey === '')) throw new ConfigError(`claims.caCert and claims.caKey are set together or not at all (got ${cfg.claims.caCert === '' ? 'claims.caKey' : 'claims.caCert'} only)`, { key: cfg.claims.caCert === '' ? 'claims.caCert' : 'claims.caKey' });
  for (const key of ['maxInflight', 'maxOutboundInflight'] as const) {
    if (cfg.limits[key] > 65535) throw new ConfigError(`limits.${key} must be at most 65535, got ${cfg.limits[key]}`, { key: `limits.${key}` });
  }
}
