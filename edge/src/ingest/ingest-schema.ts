import convict from 'convict';
import type { Schema } from '../../../shared/src/config/load-config.js';
import { ConfigError } from '../../../shared/src/errors/config-error.js';
import { isValidId } from '../../../shared/src/topics/topic-id.js';
import { validateTopicFilter } from '../../../shared/src/topics/index.js';
import type { FramingConfig } from './framing/create-framer.js';
import { createFramer } from './framing/create-framer.js';
import type { ProtocolConfig } from './protocols/create-protocol.js';
import { createProtocol } from './protocols/create-protocol.js';
import type { MqttSourceMapping } from './mqtt/mqtt-source.js';
import { compileRules, type StreamRulesConfig } from './stream-processor.js';
import { DEFAULT_MAX_READING_BYTES } from './reading-size.js';

export interface PortConfig {
  path: string;
  baudRate?: number;
  device: string;
  framing?: FramingConfig;
  protocol?: ProtocolConfig;
  /** field → stream; "" ignores a field (see frame-handler.ts) */
  streams?: Record<string, string>;
  /** ACK line template written after the durable commit, `{seq}` filled in; absent: no ACK */
  ack?: string;
}

export interface IngestConfig {
  ports: PortConfig[];
  rules: StreamRulesConfig[];
  tickMs: number;
  reopen: { initialMs: number; maxMs: number };
  /** largest reading accepted at any ingest path, bytes (see reading-size.ts); larger ones are dropped as `oversized` */
  maxReadingBytes?: number;
  mqtt: {
    url: string;
    clientId: string;
    username: string;
    password: string;
    sources: MqttSourceMapping[];
    listen?: { host: string; port: number; username?: string; password?: string; allowAnonymous?: boolean };
    commandTopic?: string;
    replyTopic?: string;
  };
}

const PORT_KEYS = ['path', 'baudRate', 'device', 'framing', 'protocol', 'streams', 'ack'];

/** Checks every port (and builds its framer and protocol once, to surface their errors). */
export function validatePorts(ports: unknown, key = 'ingest.ports'): asserts ports is PortConfig[] {
  if (!Array.isArray(ports)) throw new ConfigError(`${key} must be an array of ports`, { key });
  const paths = new Set<string>();
  ports.forEach((p: PortConfig, i) => {
    const where = `${key}[${i}]`;
    if (p === null || typeof p !== 'object') throw new ConfigError(`${where} must be an object`, { key: where });
    for (const k of Object.keys(p)) if (!PORT_KEYS.includes(k)) throw new ConfigError(`${where}: unknown key "${k}" (allowed: ${PORT_KEYS.join(', ')})`, { key: `${where}.${k}` });
    if (typeof p.path !== 'string' || p.path === '') throw new ConfigError(`${where}.path must be a device path like /dev/ttyUSB0`, { key: `${where}.path` });
    if (paths.has(p.path)) throw new ConfigError(`${where}.path ${p.path} is configured twice`, { key: `${where}.path` });
    paths.add(p.path);
    if (!isValidId(p.device)) throw new ConfigError(`${where}.device must be a valid device id, got ${JSON.stringify(p.device)}`, { key: `${where}.device` });
    if (p.baudRate !== undefined && (!Number.isInteger(p.baudRate) || p.baudRate <= 0)) throw new ConfigError(`${where}.baudRate must be a positive integer, got ${JSON.stringify(p.baudRate)}`, { key: `${where}.baudRate` });
    if (p.ack !== undefined && typeof p.ack !== 'string') throw new ConfigError(`${where}.ack must be a string template`, { key: `${where}.ack` });
    if (p.streams !== undefined) {
      if (p.streams === null || typeof p.streams !== 'object') throw new ConfigError(`${where}.streams must map field names to stream names`, { key: `${where}.streams` });
      for (const [f, s] of Object.entries(p.streams)) {
        if (s !== '' && !isValidId(s)) throw new ConfigError(`${where}.streams.${f}: ${JSON.stringify(s)} is not a valid stream id`, { key: `${where}.streams.${f}` });
      }
    }
    createFramer(p.framing, where);
    createProtocol(p.protocol, where);
  });
}

export function validateMqttSources(sources: unknown, key = 'ingest.mqtt.sources'): asserts sources is MqttSourceMapping[] {
  if (!Array.isArray(sources)) throw new ConfigError(`${key} must be an array`, { key });
  sources.forEach((m: MqttSourceMapping, i) => {
    const where = `${key}[${i}]`;
    if (m === null || typeof m !== 'object') throw new ConfigError(`${where} must be an object {topic, device, stream, path?}`, { key: where });
    try {
      validateTopicFilter(m.topic);
    } catch (err) {
      throw new ConfigError(`${where}.topic: ${(err as Error).message}`, { key: `${where}.topic`, cause: err });
    }
    for (const k of ['device', 'stream'] as const) {
      if (typeof m[k] !== 'string' || m[k] === '') throw new ConfigError(`${where}.${k} must be a non-empty string (may use {n} for topic level n)`, { key: `${where}.${k}` });
    }
    if (m.path !== undefined && typeof m.path !== 'string') throw new ConfigError(`${where}.path must be a string`, { key: `${where}.path` });
    if (m.qos !== undefined && m.qos !== 0 && m.qos !== 1) throw new ConfigError(`${where}.qos must be 0 or 1`, { key: `${where}.qos` });
  });
}

/** The whole ingest section; every check of startIngest, so loadConfig fails fast with exit 78. */
export function validateIngestConfig(c: IngestConfig): void {
  validatePorts(c.ports);
  compileRules(c.rules);
  validateMqttSources(c.mqtt.sources);
}

/**
 * Registers a named convict format (convict accepts only functions or registered names as `format`);
 * `coerce` parses JSON given as a flag or env var. convict turns a thrown error into "key: message".
 */
const fmt = (name: string, check: (v: unknown) => void): string => {
  convict.addFormat({
    name,
    validate: check,
    coerce: (v: unknown) => {
      if (typeof v !== 'string') return v;
      try {
        return JSON.parse(v) as unknown;
      } catch {
        return v; // validate then says what was expected
      }
    },
  });
  return name;
};

/** The `ingest` fragment of the edge schema: `edgeSchema = { …, ingest: ingestSchema }`. */
export const ingestSchema: Schema = {
  ports: {
    doc: 'Serial ports: [{path, baudRate, device, framing:{type:line|length-prefixed,…}, protocol:{type:json|kv|csv|nmea,…}, streams:{field:stream}, ack:"ACK {seq}"}]',
    format: fmt('causeway-serial-ports', (v) => validatePorts(v)),
    default: [],
  },
  rules: {
    doc: 'Pre-processing per stream: [{device:"*", stream, unit?, pipeline:[{type:scale|deadband|on-change|min-interval|window|threshold|filter,…}]}]',
    format: fmt('causeway-stream-rules', (v) => void compileRules(v as StreamRulesConfig[])),
    default: [],
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
      format: fmt('causeway-mqtt-sources', (v) => validateMqttSources(v)),
      default: [],
    },
  },
};
