import { type Schema, ConfigError, isValidId, validateTopicFilter, ingestSchemaWith, PORT_KEYS, checkCanDbcShape } from '@causeway/shared';
import { type FramingConfig, createFramer } from './framing/create-framer.js';
import { type ProtocolConfig, createProtocol } from './protocols/create-protocol.js';
import type { MqttSourceMapping } from './mqtt/mqtt-source.js';
import { type ModbusBus, validateModbus } from './modbus/modbus-config.js';
import { type CanSource, canSourceName, parseDbcText, validateCan } from './can/can-config.js';
import { compileRules, type StreamRulesConfig } from './stream-processor.js';

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
  /** Modbus RTU/TCP buses polled (modbus/modbus-config.ts) */
  modbus?: ModbusBus[];
  /** CAN sources (can/can-config.ts) */
  can?: CanSource[];
  /** DBC texts by CAN source name, over the sources' files (the part of the CAN config a remote config may set) */
  canDbc?: Record<string, string>;
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
  validateModbus(c.modbus ?? []);
  validateCan(c.can ?? [], 'ingest.can', false); // startIngest reads the DBC files (ingestSchema does at load)
  const serial = new Set(c.ports.map((p) => p.path));
  const devices = new Set(c.ports.map((p) => p.device));
  (c.modbus ?? []).forEach((b, i) => {
    if (b.rtu !== undefined && serial.has(b.rtu.path)) throw new ConfigError(`ingest.modbus[${i}].rtu.path ${b.rtu.path} is also a line-protocol port in ingest.ports`, { key: `ingest.modbus[${i}].rtu.path` });
    b.slaves.forEach((s, j) => {
      // commands are routed by device id: one device, one source
      if (devices.has(s.device)) throw new ConfigError(`ingest.modbus[${i}].slaves[${j}].device ${s.device} is also a serial port's device in ingest.ports`, { key: `ingest.modbus[${i}].slaves[${j}].device` });
    });
  });
  const modbusDevices = new Set((c.modbus ?? []).flatMap((b) => b.slaves.map((s) => s.device)));
  const modbusPaths = new Set((c.modbus ?? []).flatMap((b) => (b.rtu === undefined ? [] : [b.rtu.path])));
  (c.can ?? []).forEach((s, i) => {
    const where = `ingest.can[${i}]`;
    const path = s.slcan?.path;
    if (path !== undefined && (serial.has(path) || modbusPaths.has(path))) throw new ConfigError(`${where}.slcan.path ${path} is also opened by ingest.ports or ingest.modbus`, { key: `${where}.slcan.path` });
    if (devices.has(s.device) || modbusDevices.has(s.device)) throw new ConfigError(`${where}.device ${s.device} is also a serial port's or Modbus slave's device (commands route by device)`, { key: `${where}.device` });
  });
  validateCanDbc(c.canDbc ?? {}, (c.can ?? []).map(canSourceName));
}

/** `ingest.canDbc`: each name a configured CAN source, each text a DBC that parses (ConfigError naming the key and line). */
export function validateCanDbc(v: unknown, sources: readonly string[]): asserts v is Record<string, string> {
  try {
    checkCanDbcShape(v);
  } catch (err) {
    throw new ConfigError(`ingest.canDbc ${(err as Error).message}`, { key: 'ingest.canDbc', cause: err });
  }
  for (const [name, text] of Object.entries(v as Record<string, string>)) {
    const key = `ingest.canDbc.${name}`;
    if (!sources.includes(name)) throw new ConfigError(`${key}: no CAN source is named ${name} (ingest.can names: ${sources.join(', ') || 'none'})`, { key });
    parseDbcText(text, key);
  }
}

const INGEST_CHECKS = {
  ports: (v: unknown) => validatePorts(v),
  rules: (v: unknown) => void compileRules(v as StreamRulesConfig[]),
  sources: (v: unknown) => validateMqttSources(v),
  modbus: (v: unknown) => validateModbus(v),
  can: (v: unknown) => validateCan(v),
  canDbc: (v: unknown) => checkCanDbcShape(v),
};

/**
 * The `ingest` fragment of the edge schema: `edgeSchema = edgeSchemaWith(ingestSchema)`. Its keys are
 * declared once in shared/src/config/edge-schema.ts (the cloud checks remote config against them); the
 * agent adds the deep checks that need its framers, protocols and rule compiler. Loading the local config
 * also reads every DBC file `ingest.can` names (a bad one is exit 78).
 */
export const ingestSchema: Schema = ingestSchemaWith(INGEST_CHECKS, 'causeway');

/**
 * The same checks without reading the DBC files, for a remote document merged over the running config:
 * a DBC file broken since start-up (a bad delivery, counted and logged while the previous DBC stays in
 * use) must not make every remote config REJECTED, and a source whose DBC comes from `ingest.canDbc`
 * does not use its file. A config that restarts the CAN sources reads the files then (startIngest), and
 * one that cannot be applied is rolled back.
 */
export const ingestSchemaForMerge: Schema = ingestSchemaWith({ ...INGEST_CHECKS, can: (v) => validateCan(v, 'ingest.can', false) }, 'causeway-merge');
