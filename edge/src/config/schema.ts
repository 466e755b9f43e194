import { ingestSchema, type IngestConfig } from '../ingest/ingest-schema.js';
import type { Schema } from '../../../shared/src/config/load-config.js';
import { isValidId } from '../../../shared/src/topics/topic-id.js';

/**
 * Every key of causeway-edge, with its default and its meaning. Loaded by `loadConfig(edgeSchema)`;
 * the README's config table is generated from it (`describeSchema`).
 */
export interface EdgeConfig {
  gateway: { id: string; groups: string[] };
  cloud: { url: string; username: string; password: string; ca: string; cert: string; key: string; keepaliveSeconds: number; connectTimeoutSeconds: number; backoffBaseMs: number; backoffMaxMs: number };
  store: { path: string };
  buffer: { maxBytes: number; maxAgeSeconds: number; commitIntervalMs: number; commitMaxRecords: number };
  uplink: {
    maxBytesPerSecond: number;
    batchMaxReadings: number;
    batchMaxBytes: number;
    inflight: number;
    codec: 'cbor' | 'json';
    deflate: boolean;
    liveWindowSeconds: number;
    drainTimeoutMs: number;
  };
  input: { stdin: boolean; stdinAck: boolean };
  ingest: IngestConfig;
  commands: { timeoutMs: number; rollbackTimeoutSeconds: number };
  health: { host: string; port: number };
  status: { socket: string };
  log: { level: 'debug' | 'info' | 'warn' | 'error' | 'silent' };
}

// convict takes a validating function as a format; the function name shows in --help.
function gatewayId(v: unknown): void {
  if (!isValidId(v)) throw new Error('must be a valid id (non-empty, ≤128 bytes, no + # / or control characters)');
}

function groupList(v: unknown): void {
  if (!Array.isArray(v) || !v.every((g) => isValidId(g))) throw new Error('must be an array of valid group names');
}

function mqttUrl(v: unknown): void {
  if (typeof v !== 'string' || !/^(mqtts?|wss?):\/\/[^/\s]+/.test(v)) throw new Error('must be an mqtt://, mqtts://, ws:// or wss:// URL');
}

export const edgeSchema: Schema = {
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
    commitIntervalMs: { doc: 'Group commit: at most this long between an add and its durable commit. Longer = fewer bytes written per reading at low rates (SD-card wear), later device ACKs', format: 'nat', default: 50 },
    commitMaxRecords: { doc: 'Group commit: commit at once when this many records are pending', format: 'nat', default: 500 },
  },
  uplink: {
    maxBytesPerSecond: { doc: 'Uplink rate limit in payload bytes/s (0: unlimited)', format: 'nat', default: 0 },
    batchMaxReadings: { doc: 'Readings per batch at most', format: 'nat', default: 500 },
    batchMaxBytes: { doc: 'Encoded record bytes per batch at most (before compression)', format: 'nat', default: 64 * 1024 },
    inflight: { doc: 'Batches published and not yet acknowledged (PUBACK) at most', format: 'nat', default: 8 },
    codec: { doc: 'Payload codec', format: ['cbor', 'json'], default: 'cbor' },
    deflate: { doc: 'Compress payloads with raw deflate', format: Boolean, default: true },
    liveWindowSeconds: { doc: 'Telemetry younger than this goes before the backlog (live-first)', format: 'nat', default: 10 },
    drainTimeoutMs: { doc: 'On SIGTERM, wait this long for in-flight acknowledgements', format: 'nat', default: 2000 },
  },
  ingest: ingestSchema,
  commands: {
    timeoutMs: { doc: 'A device command without an answer after this long is TIMED_OUT', format: 'nat', default: 10_000 },
    rollbackTimeoutSeconds: { doc: 'A remote config after which the uplink is not connected within this long is rolled back', format: 'nat', default: 60 },
  },
  health: {
    host: { doc: 'Address of /healthz and /metrics', format: String, default: '127.0.0.1' },
    port: { doc: 'Port of /healthz and /metrics (0 = any free port, -1 = off)', format: 'int', default: -1 },
  },
  status: {
    socket: { doc: 'Unix socket `causeway-edge status` asks (empty: status.sock beside store.path)', format: String, default: '' },
  },
  input: {
    stdin: { doc: 'Read readings as JSON lines (one ReadingInput per line) from stdin', format: Boolean, default: false },
    stdinAck: { doc: 'Print {"ack":N} on stdout once the first N stdin lines are durably committed (tests)', format: Boolean, default: false },
  },
  log: {
    level: { doc: 'Log level', format: ['debug', 'info', 'warn', 'error', 'silent'], default: 'info' },
  },
};
