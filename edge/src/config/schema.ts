import { ingestSchema, ingestSchemaForMerge, type IngestConfig } from '../ingest/ingest-schema.js';
import { type Schema, edgeSchemaWith } from '@causeway/shared';

/**
 * Every key of causeway-edge, with its default and its meaning. Loaded by `loadConfig(edgeSchema)`;
 * the README's config table is generated from it (`describeSchema`).
 */
export interface EdgeConfig {
  gateway: { id: string; groups: string[] };
  cloud: { url: string; username: string; password: string; ca: string; cert: string; key: string; keepaliveSeconds: number; connectTimeoutSeconds: number; backoffBaseMs: number; backoffMaxMs: number };
  store: { path: string };
  buffer: { maxBytes: number; maxAgeSeconds: number; commitIntervalMs: number; commitMaxRecords: number; direct: boolean };
  uplink: {
    maxBytesPerSecond: number;
    batchMaxReadings: number;
    batchMaxBytes: number;
    batchDelayMs: number;
    inflight: number;
    codec: 'cbor' | 'json';
    deflate: boolean;
    liveWindowSeconds: number;
    drainTimeoutMs: number;
  };
  input: { stdin: boolean; stdinAck: boolean };
  ingest: IngestConfig;
  commands: { timeoutMs: number; rollbackTimeoutSeconds: number };
  files: { root: string; trustedKeys: string[]; target: string; chunkTimeoutMs: number; transport: 'mqtt' | 'http'; httpUrl: string; maxBytesPerSecond: number; minFreeBytes: number };
  update: { root: string; healthGateSeconds: number };
  health: { host: string; port: number };
  status: { socket: string; heartbeatSeconds: number };
  identity: { claimToken: string; registerUrl: string; idFrom: string; secretFile: string; csr: boolean; renewRemaining: number; renewCheckSeconds: number };
  log: { level: 'debug' | 'info' | 'warn' | 'error' | 'silent'; ringBytes: number; source: 'auto' | 'ring' };
}

/** Declared in shared/src/config/edge-schema.ts (one source of truth with the cloud's check of remote config). */
export const edgeSchema: Schema = edgeSchemaWith(ingestSchema);

/** The edge schema for a remote document merged over the running config: DBC files are not read (ingest-schema.ts). */
export const mergedEdgeSchema: Schema = edgeSchemaWith(ingestSchemaForMerge);
