import convict from 'convict';
import { parsePublicKey } from '../artifacts/manifest.js';
import { type Schema, validateConfigObject } from './load-config.js';
import { jsonFormat } from './json-format.js';
import { isValidId } from '../topics/topic-id.js';
import { didYouMean } from '../cli/did-you-mean.js';
import { ConfigError } from '../errors/config-error.js';
import { DbcError, parseDbc } from '../can/dbc.js';

/** ingest.maxReadingBytes by default: room for a long string value, far below a batch or a packet (issue 23 item 5). */
export const DEFAULT_MAX_READING_BYTES = 8 * 1024;

/**
 * The one declaration of causeway-edge's config keys (issue 24: one source of truth). The agent loads
 * its config with it (edge/src/config/schema.ts adds the ingest parts' deep checks: framers, protocols,
 * rules); the cloud checks remote config documents against it before storing them, so an unknown key or
 * a wrong type is refused when the operator sets it, not reported REJECTED later by every gateway.
 */

// convict takes a validating function as a format; the function name shows in --help.
function gatewayId(v: unknown): void {
  if (!isValidId(v)) throw new Error('must be a valid id (non-empty, ≤128 bytes, no + # / or control characters)');
}

function groupList(v: unknown): void {
  if (!Array.isArray(v) || !v.every((g) => isValidId(g))) throw new Error('must be an array of valid group names');
}

function keyList(v: unknown): void {
  if (!Array.isArray(v)) throw new Error('must be an array of Ed25519 public keys (base64 SPKI DER, as causeway keys init prints)');
  for (const k of v) parsePublicKey(String(k));
}

function httpBaseUrl(v: unknown): void {
  if (typeof v !== 'string' || (v !== '' && !/^https?:\/\/[^/\s]+/.test(v))) throw new Error('must be empty or an http:// or https:// URL');
}

function mqttUrl(v: unknown): void {
  if (typeof v !== 'string' || !/^(mqtts?|wss?):\/\/[^/\s]+/.test(v)) throw new Error('must be an mqtt://, mqtts://, ws:// or wss:// URL');
}

/** The keys a serial port entry may have (ingest.ports[i]). */
export const PORT_KEYS = ['path', 'baudRate', 'device', 'framing', 'protocol', 'streams', 'ack'];

/** Checks of the three structured ingest keys; each throws an Error saying what is wrong. */
export interface IngestChecks {
  ports: (v: unknown) => void;
  rules: (v: unknown) => void;
  sources: (v: unknown) => void;
  modbus: (v: unknown) => void;
  can: (v: unknown) => void;
  canDbc: (v: unknown) => void;
}

/** Largest DBC text `ingest.canDbc` carries per source (a remote config is one retained MQTT message). */
export const MAX_REMOTE_DBC_BYTES = 512 * 1024;

/** The shape alone: what the cloud can check without the agent's framers, protocols and rule compiler. */
export const INGEST_SHAPE_CHECKS: IngestChecks = {
  ports: (v) => {
    if (!Array.isArray(v)) throw new Error('must be an array of ports');
    v.forEach((p, i) => {
      if (p === null || typeof p !== 'object' || Array.isArray(p)) throw new Error(`[${i}] must be an object`);
      for (const k of Object.keys(p)) if (!PORT_KEYS.includes(k)) throw new Error(`[${i}]: unknown key "${k}" (allowed: ${PORT_KEYS.join(', ')})`);
    });
  },
  rules: (v) => {
    if (!Array.isArray(v) || !v.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))) throw new Error('must be an array of rule objects');
  },
  sources: (v) => {
    if (!Array.isArray(v) || !v.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))) throw new Error('must be an array of {topic, device, stream, path?} objects');
  },
  modbus: (v) => {
    if (!Array.isArray(v) || !v.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))) throw new Error('must be an array of {rtu | tcp, slaves} bus objects');
  },
  can: (v) => {
    if (!Array.isArray(v) || !v.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))) throw new Error('must be an array of {device, slcan | candump | socketcan, …} source objects');
  },
  canDbc: (v) => checkCanDbcShape(v),
};

/**
 * `ingest.canDbc`: an object mapping CAN source names to DBC texts that parse, each at most
 * MAX_REMOTE_DBC_BYTES. The agent also checks each name against its `ingest.can` (edge ingest-schema.ts).
 */
export function checkCanDbcShape(v: unknown): void {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('must be an object {<CAN source name>: "<DBC file text>"}');
  for (const [name, text] of Object.entries(v)) {
    if (typeof text !== 'string' || text.trim() === '') throw new Error(`${name}: must be the text of a DBC file, got ${JSON.stringify(text)?.slice(0, 40)}`);
    if (Buffer.byteLength(text) > MAX_REMOTE_DBC_BYTES) throw new Error(`${name}: a DBC of ${Buffer.byteLength(text)} bytes is larger than ${MAX_REMOTE_DBC_BYTES}; deliver it as a file (causeway files) to the path ingest.can names`);
    try {
      parseDbc(text); // pure: the cloud refuses a DBC that does not parse at the PUT, with its line
    } catch (err) {
      if (err instanceof DbcError) throw new Error(`${name}: ${err.message}`);
      throw err;
    }
  }
}

const fmt = jsonFormat;

/** The `ingest` fragment, with the given checks under formats named `<prefix>-serial-ports` etc. */
export function ingestSchemaWith(checks: IngestChecks, prefix: string): Schema {
  return {
    ports: {
      doc: 'Serial ports: [{path, baudRate, device, framing:{type:line|length-prefixed,…}, protocol:{type:json|kv|csv|nmea,…}, streams:{field:stream}, ack:"ACK {seq}"}]',
      format: fmt(`${prefix}-serial-ports`, checks.ports),
      default: [],
    },
    rules: {
      doc: 'Pre-processing per stream: [{device:"*", stream, unit?, pipeline:[{type:scale|deadband|on-change|min-interval|window|threshold|filter,…}]}]',
      format: fmt(`${prefix}-stream-rules`, checks.rules),
      default: [],
    },
    modbus: {
      doc: 'Modbus buses polled: [{name?, rtu:{path, baudRate?, dataBits?, parity?, stopBits?} | tcp:{host, port?}, slaves:[{unit, device, periodMs?, timeoutMs?, backoff:{initialMs?, maxMs?}?, maxGap?, points:[{stream, fc:1-4, address, type?:int16|uint16|int32|uint32|float32, wordOrder?, byteOrder?, scale?, offset?, bit?, bits?, unit?, writable?}]}]}] (docs/field-buses.md)',
      format: fmt(`${prefix}-modbus-buses`, checks.modbus),
      default: [],
    },
    can: {
      doc: 'CAN buses read: [{name?, device, slcan:{path, bitrate?, baudRate?, timestamps?} | candump:{path, speed?} | socketcan:{interface}, dbc?:"file.dbc", j1939?:true, obd2?:{pids:[12,13,5,47], periodMs?}, minIntervalMs?, onChange?, signals?:{<stream>:{minIntervalMs?, onChange?}}}] (docs/field-buses.md)',
      format: fmt(`${prefix}-can-sources`, checks.can),
      default: [],
    },
    canDbc: {
      doc: 'DBC texts by CAN source name ({"j1939": "<the text of a DBC file>"}), used instead of that source\'s `dbc` file; the one part of the CAN config a remote config may set (`causeway config set`): a new text applies from the next frame without reopening the bus, one that does not parse is REJECTED and the previous DBC stays (docs/field-buses.md)',
      format: fmt(`${prefix}-can-dbc`, checks.canDbc),
      default: {},
    },
    maxReadingBytes: {
      doc: 'Largest reading accepted, in bytes (its device, stream, unit and value, plus 32); larger ones are dropped and counted as `oversized` at every ingest path (serial, local MQTT, stdin), so one huge value cannot block the uplink. Keep it well under uplink.batchMaxBytes and the broker\'s maximum packet size (0: no limit)',
      format: 'nat',
      default: DEFAULT_MAX_READING_BYTES,
    },
    tickMs: { doc: 'How often time-driven rules (windows) are checked', format: 'nat', default: 1000 },
    reopen: {
      initialMs: { doc: 'First delay before reopening a missing or vanished serial port', format: 'nat', default: 250 },
      maxMs: { doc: 'Longest delay between reopen attempts', format: 'nat', default: 30_000 },
    },
    mqtt: {
      listen: {
        host: { doc: 'Address of the MQTT listener the agent hosts for LAN sensors (the project\'s own broker, SQLite-backed)', format: String, default: '127.0.0.1' },
        port: { doc: 'Port of that listener (-1: none; 0: any free port); with it, ingest.mqtt.url defaults to it', format: 'int', default: -1 },
        username: { doc: 'Username LAN sensors must present to that listener (with listen.password). Required, or listen.allowAnonymous, when listen.host is not a loopback address', format: String, default: '' },
        password: { doc: 'Password LAN sensors must present to that listener (with listen.username)', format: String, default: '', sensitive: true },
        allowAnonymous: { doc: 'Accept clients without credentials on a listener bound beyond loopback (explicit opt-in; every client gets full access to the listener)', format: Boolean, default: false },
      },
      url: { doc: 'Local broker of MQTT sensors (empty: none, or the hosted listener), e.g. mqtt://127.0.0.1:1883', format: String, default: '' },
      commandTopic: { doc: 'Commands to MQTT sensors are published here, {device} replaced (e.g. sensors/{device}/cmd); empty: none', format: String, default: '' },
      replyTopic: { doc: 'MQTT sensors answer commands here, one {device} level (e.g. sensors/{device}/reply)', format: String, default: '' },
      clientId: { doc: 'Client id at the local broker (set it for a persistent session)', format: String, default: '' },
      username: { doc: 'Local broker username', format: String, default: '' },
      password: { doc: 'Local broker password', format: String, default: '', sensitive: true },
      sources: {
        doc: 'Topic mappings: [{topic:"zigbee/+/state", device:"{2}", stream:"temp", path:"temperature", unit?, qos?}]',
        format: fmt(`${prefix}-mqtt-sources`, checks.sources),
        default: [],
      },
    },
  };
}

/** Every key of causeway-edge, with its default and its meaning, around the given ingest fragment. */
export function edgeSchemaWith(ingest: Schema): Schema {
  return {
    gateway: {
      id: { doc: 'Gateway id: MQTT client id and second topic level of everything it publishes', format: gatewayId, default: 'gw-unset' },
      groups: { doc: 'Groups whose commands this gateway takes (cmd-group/{group}/+); the cloud registry must list it in them', format: groupList, default: [] },
    },
    cloud: {
      url: { doc: 'Broker URL (mqtt://, mqtts://, ws://, wss://)', format: mqttUrl, default: 'mqtt://127.0.0.1:1883' },
      username: { doc: 'MQTT username (empty: none)', format: String, default: '' },
      password: { doc: 'MQTT password (empty: none)', format: String, default: '', sensitive: true },
      ca: { doc: 'PEM file of the CA that signs the broker certificate (mqtts/wss)', format: String, default: '' },
      cert: { doc: 'PEM client certificate file (mutual TLS)', format: String, default: '' },
      key: { doc: 'PEM client key file (mutual TLS)', format: String, default: '', sensitive: true },
      backoffBaseMs: { doc: 'Reconnect backoff: ceiling of the first retry delay (full jitter below it), ms', format: 'nat', default: 500 },
      backoffMaxMs: { doc: 'Reconnect backoff: the retry delay never exceeds this, ms', format: 'nat', default: 30_000 },
      connectTimeoutSeconds: { doc: 'Give up on a CONNECT without CONNACK after this long (a blackholed link)', format: 'nat', default: 10 },
      keepaliveSeconds: { doc: 'MQTT keepalive; a dead link is noticed after 1.5 × this [MQTT-3.1.2-24]', format: 'nat', default: 30 },
    },
    store: {
      path: { doc: 'SQLite outbox file', format: String, default: '/var/lib/causeway-edge/outbox.db' },
    },
    buffer: {
      maxBytes: { doc: 'Outbox cap in bytes of buffered records; past it the lowest priority, oldest records are evicted (and reported)', format: 'nat', default: 64 * 1024 * 1024 },
      maxAgeSeconds: { doc: 'A record not delivered after this long expires (counted and reported like an eviction)', format: 'nat', default: 7 * 24 * 3600 },
      commitIntervalMs: { doc: 'A record is committed to the outbox file this long after it was added, unless the cloud acknowledged it first (direct path): the device ACK follows whichever comes first. Keep it above uplink.batchDelayMs plus the link round trip, or readings are written while in flight. Longer = fewer bytes written (SD-card wear), later device ACKs while the link is down. 750 leaves a cellular round trip of up to 500 ms after the default batch delay', format: 'nat', default: 750 },
      commitMaxRecords: { doc: 'Group commit: commit at the end of the event-loop turn in which this many records are pending, at once past 4 times as many (with buffer.direct false; on the direct path the commit interval and a 2 MiB cap bound them)', format: 'nat', default: 500 },
      direct: { doc: 'Direct path: while the link is up and the outbox file holds nothing, readings go straight to the cloud and reach the file only if no PUBACK came within buffer.commitIntervalMs (a PUBACK follows the cloud\'s own durable commit). Off: every record is committed before it is sent', format: Boolean, default: true },
    },
    uplink: {
      maxBytesPerSecond: { doc: 'Uplink rate limit in payload bytes/s (0: unlimited)', format: 'nat', default: 0 },
      batchMaxReadings: { doc: 'Readings per batch at most', format: 'nat', default: 500 },
      batchMaxBytes: { doc: 'Encoded record bytes per batch at most (before compression)', format: 'nat', default: 64 * 1024 },
      batchDelayMs: { doc: 'Direct path: a stream\'s readings wait up to this long to share a batch, unless a full batch (or batchMaxReadings readings over all streams) is waiting; one timer for all streams, order within a stream kept. 250 ms: at 10 readings/s per stream a batch carries 2–3 readings instead of one, which brings the agent\'s CPU per reading within 1.2x of a forwarder that sends each reading alone (bench edge-footprint, issue 16)', format: 'nat', default: 250 },
      inflight: { doc: 'Batches published and not yet acknowledged (PUBACK) at most', format: 'nat', default: 8 },
      codec: { doc: 'Payload codec', format: ['cbor', 'json'], default: 'cbor' },
      deflate: { doc: 'Compress payloads with raw deflate', format: Boolean, default: true },
      liveWindowSeconds: { doc: 'Telemetry younger than this goes before the backlog (live-first)', format: 'nat', default: 10 },
      drainTimeoutMs: { doc: 'On SIGTERM, wait this long for in-flight acknowledgements', format: 'nat', default: 2000 },
    },
    ingest,
    commands: {
      timeoutMs: { doc: 'A device command without an answer after this long is TIMED_OUT', format: 'nat', default: 10_000 },
      rollbackTimeoutSeconds: { doc: 'A remote config after which the uplink is not connected within this long is rolled back', format: 'nat', default: 60 },
    },
    files: {
      root: { doc: 'Delivered files land under this directory, at the path their manifest names (never outside it)', format: String, default: '/var/lib/causeway-edge/files' },
      trustedKeys: { doc: 'Ed25519 public keys (base64 SPKI DER, from `causeway keys init`) whose signed artifacts this gateway installs; empty: it installs nothing', format: keyList, default: [] },
      target: { doc: 'The platform this gateway installs artifacts for (empty: this process\'s, e.g. linux-arm64); an artifact for another target is refused', format: String, default: '' },
      chunkTimeoutMs: { doc: 'A chunk requested over MQTT and not answered within this long is asked for again (over HTTP: a request without an answer or a body without bytes for this long is made again, from the first byte not yet on disk)', format: 'nat', default: 15_000 },
      transport: { doc: 'How artifact bytes are fetched: mqtt (chunk requests on the gateway\'s MQTT link) or http (GET /v1/gateway/artifacts/{sha256} on files.httpUrl with Range, resumed from the bytes on disk; HTTP Basic with cloud.username or gateway.id and cloud.password). Either way each chunk is checked against the signed manifest. http needs a secret: with identity.csr, or cloud.cert and no cloud.password, it is a config error (exit 78; such a gateway uses mqtt over its mTLS link)', format: ['mqtt', 'http'], default: 'mqtt' },
      httpUrl: { doc: 'Base URL of the cloud HTTP API for files.transport http (e.g. https://cloud.example:8080); required with it', format: httpBaseUrl, default: '' },
      maxBytesPerSecond: { doc: 'Download rate limit in chunk bytes/s, so telemetry keeps flowing (0: unlimited)', format: 'nat', default: 0 },
      minFreeBytes: { doc: 'Disk space that must stay free after a download; a download that would eat into it fails at once', format: 'nat', default: 16 * 1024 * 1024 },
    },
    update: {
      root: { doc: 'Agent releases are installed side by side in <root>/releases/<version>/, with <root>/current the running one', format: String, default: '/opt/causeway-edge' },
      healthGateSeconds: { doc: 'A new agent release must connect to the cloud and have a batch of its outbox acknowledged (or an empty outbox) within this long, or the previous release is put back', format: 'nat', default: 60 },
    },
    health: {
      host: { doc: 'Address of /healthz and /metrics', format: String, default: '127.0.0.1' },
      port: { doc: 'Port of /healthz and /metrics (0 = any free port, -1 = off)', format: 'int', default: -1 },
    },
    status: {
      socket: { doc: 'Unix socket `causeway-edge status` asks (empty: status.sock beside store.path)', format: String, default: '' },
      heartbeatSeconds: { doc: 'Publish the retained status with its health (backlog, disk, memory, ports, last uplink error, config version) this often while connected; also on each connect (0: only on connect)', format: 'nat', default: 60 },
    },
    identity: {
      claimToken: { doc: 'Claim token (cw_claim_…) for first-boot self-registration (POST /v1/register): with it and no stored secret, the agent registers under its own id, stores the secret in identity.secretFile (mode 0600) and connects with it', format: String, default: '', sensitive: true },
      registerUrl: { doc: 'Base URL of the cloud HTTP API the claim is presented to (e.g. https://cloud.example:8080)', format: String, default: '' },
      idFrom: { doc: 'File whose first line is this gateway\'s id (e.g. a hardware serial number); used when gateway.id is not set', format: String, default: '' },
      secretFile: { doc: 'Where the secret obtained by claim is kept (empty: credentials.json beside store.path)', format: String, default: '' },
      csr: { doc: 'Register by claim with a certificate instead of a secret: the agent makes its own EC P-256 key (gateway-key.pem beside identity.secretFile, mode 0600; it is never sent), sends a CSR with CN = its id, stores the certificate the cloud CA signs (gateway-cert.pem) and connects with it over mTLS (cloud.url mqtts://…, cloud.ca trusting the broker). Needs a cloud with claims.caCert; with an approval claim the certificate comes once an operator approves', format: Boolean, default: false },
      renewRemaining: { doc: 'With identity.csr: renew the certificate when less than this fraction of its validity remains (0.33: a third). The agent makes a new key and CSR, sends it on cert-req/{gateway} over the mTLS session its current certificate opened, stores the new key and certificate (mode 0600, written whole) and reconnects with them; no claim is needed. 0: never renew', format: Number, default: 0.33 },
      renewCheckSeconds: { doc: 'With identity.csr: how often the agent looks at its certificate\'s end (also on each connect), and how long it waits for the cloud\'s answer before asking again', format: 'nat', default: 3600 },
    },
    input: {
      stdin: { doc: 'Read readings as JSON lines (one ReadingInput per line) from stdin', format: Boolean, default: false },
      stdinAck: { doc: 'Print {"ack":N} on stdout once the first N stdin lines are durably committed (tests)', format: Boolean, default: false },
    },
    log: {
      level: { doc: 'Log level', format: ['debug', 'info', 'warn', 'error', 'silent'], default: 'info' },
      ringBytes: { doc: 'Bytes of recent log lines kept on disk (logs/ beside store.path, two segments, mode 0600) for `causeway logs` and the support bundle; secrets redacted (0: none)', format: 'nat', default: 1024 * 1024 },
      source: { doc: 'Where `causeway logs` reads: auto = the journal when the agent runs as a systemd service logging to journald with journalctl on PATH (earlier runs, crash traces, systemd\'s messages; the service user needs group systemd-journal), else the log ring, which is also the fallback when reading the journal fails; ring = always the log ring', format: ['auto', 'ring'], default: 'auto' },
    },
  };
}

/** The edge schema as the cloud checks it: every key and type, the ingest entries by shape. */
export const remoteEdgeSchema: Schema = edgeSchemaWith(ingestSchemaWith(INGEST_SHAPE_CHECKS, 'causeway-remote'));

function isLeaf(node: unknown): boolean {
  return typeof node === 'object' && node !== null && Object.hasOwn(node, 'default');
}

function isSection(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Unknown keys and sections given as values, with their path and the closest real key. */
function checkKeys(doc: Record<string, unknown>, schema: Record<string, unknown>, prefix: string): void {
  for (const [k, v] of Object.entries(doc)) {
    const path = prefix === '' ? k : `${prefix}.${k}`;
    const node = schema[k];
    if (node === undefined) {
      const siblings = Object.keys(schema);
      throw new ConfigError(`${path}: unknown key${didYouMean(k, siblings)} (${prefix === '' ? 'sections' : `keys of ${prefix}`}: ${siblings.join(', ')})`, { key: path });
    }
    if (isLeaf(node)) {
      // convict merges an object into an array default without a word: say it here.
      if (Array.isArray((node as { default: unknown }).default) && !Array.isArray(v)) throw new ConfigError(`${path}: must be an array, got ${JSON.stringify(v)}`, { key: path });
      continue;
    }
    if (!isSection(v)) throw new ConfigError(`${path}: must be an object with keys ${Object.keys(node as object).join(', ')}, got ${JSON.stringify(v)}`, { key: path });
    checkKeys(v, node as Record<string, unknown>, path);
  }
}

function valueAt(doc: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (isSection(o) ? o[k] : undefined), doc);
}

/**
 * Checks a remote config document — a partial edge config merged over each gateway's local one — for
 * keys the agent does not have and values of the wrong type. Throws a ConfigError naming the key's path
 * and the reason. Keys absent from the document are not checked (the gateway's local values stay).
 */
export function validateRemoteEdgeConfig(doc: Record<string, unknown>): void {
  checkKeys(doc, remoteEdgeSchema as Record<string, unknown>, '');
  try {
    validateConfigObject(remoteEdgeSchema, doc);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // One line: "uplink.inflight: must be a positive integer, got "lots"".
    const first = err.message.replace(/^invalid configuration: /, '').split('\n')[0]!;
    const got = err.key !== undefined && !first.includes('value was') ? `, got ${JSON.stringify(valueAt(doc, err.key))}` : '';
    throw new ConfigError(`${first}${got}`, { ...(err.key === undefined ? {} : { key: err.key }), cause: err });
  }
}
