/**
 * The envelopes of the wire contract (docs/wire-contract.md). Every envelope has `v` (contract version)
 * and `type`. Uplink envelopes carry an `id` unique per gateway that the cloud uses to drop duplicates
 * (a batch re-sent after a crash keeps its id and its content).
 */
export const CONTRACT_VERSION = 1;

export type ReadingValue = number | string | boolean | null;

/** One sample of one stream. `seq` is monotonic per gateway (the outbox sequence). */
export interface Reading {
  seq: number;
  /** sample time, ms since the epoch */
  ts: number;
  value: ReadingValue;
  unit?: string;
  /** 0 good … 255 bad, as the source reported or the edge derived */
  quality?: number;
}

/** The edge's usual unit: readings of one device stream, sent on telemetry/{gw}/{device}/{stream}. */
export interface ReadingBatch {
  v: 1;
  type: 'batch';
  /** dedupe key, unique per gateway */
  id: string;
  gateway: string;
  device: string;
  stream: string;
  readings: Reading[];
}

/** A single reading on its own (a sensor that publishes one value at a time). */
export interface SingleReading extends Reading {
  v: 1;
  type: 'reading';
  id: string;
  gateway: string;
  device: string;
  stream: string;
}

export type Severity = 'info' | 'warning' | 'alarm' | 'critical';

/** Something happened: a threshold alarm, a port going away, an eviction report. events/{gw}/{device}/{type} */
export interface EventEnvelope {
  v: 1;
  type: 'event';
  id: string;
  gateway: string;
  device: string;
  event: string;
  severity: Severity;
  ts: number;
  data?: Record<string, unknown>;
}

/** A command from an operator to a device (or a group, or all). */
export interface CommandEnvelope {
  v: 1;
  type: 'command';
  id: string;
  name: string;
  args: Record<string, unknown>;
  /** target device; for group/broadcast commands each gateway applies it to the devices it owns */
  device?: string;
  issuedAt: number;
  /** ms since the epoch after which the command must not run */
  expiresAt?: number;
}

/** Progress of a long-running command (a file or release install, issue 17); reported in this order. */
export const COMMAND_PROGRESS_STATUSES = ['DOWNLOADING', 'VERIFYING', 'INSTALLING'] as const;
export type CommandProgressStatus = (typeof COMMAND_PROGRESS_STATUSES)[number];
export const COMMAND_RESULT_STATUSES = ['DELIVERED', ...COMMAND_PROGRESS_STATUSES, 'SUCCEEDED', 'FAILED', 'REJECTED', 'TIMED_OUT', 'EXPIRED', 'ROLLED_BACK'] as const;
export type CommandResultStatus = (typeof COMMAND_RESULT_STATUSES)[number];

/** What a gateway reports about a command. cmd-result/{gw}/{device}/{commandId} */
export interface CommandResultEnvelope {
  v: 1;
  type: 'command-result';
  id: string;
  commandId: string;
  gateway: string;
  device: string;
  status: CommandResultStatus;
  ts: number;
  output?: unknown;
  error?: string;
}

/** Desired config for a gateway. config/{gw}, retained. */
export interface ConfigEnvelope {
  v: 1;
  type: 'config';
  version: number;
  issuedAt: number;
  config: Record<string, unknown>;
}

/** What a gateway reports about a desired config. config-reported/{gw} */
export interface ConfigReportedEnvelope {
  v: 1;
  type: 'config-reported';
  id: string;
  gateway: string;
  version: number;
  status: 'APPLIED' | 'REJECTED' | 'ROLLED_BACK';
  ts: number;
  error?: { key?: string; message: string };
}

/** Gateway liveness. status/{gw}, retained; the offline form is the last will. */
export interface StatusEnvelope {
  v: 1;
  type: 'status';
  gateway: string;
  online: boolean;
  ts: number;
  agentVersion?: string;
  /** what the gateway reports of its own health (issue 20); absent in the will and from older agents */
  health?: GatewayHealth;
}

/** A serial port as the agent sees it (issue 20). */
export interface PortHealth {
  path: string;
  device: string;
  open: boolean;
  opens: number;
  disconnects: number;
}

/**
 * The health a gateway reports in its retained status and each heartbeat (issue 20): enough for an
 * operator to find the gateways in trouble without SSH. Every field is a plain number or string so the
 * cloud's `where` filters (cloud/src/fleet/where.ts) can compare them.
 */
export interface GatewayHealth {
  uptimeSeconds: number;
  outbox: { records: number; bytes: number; oldestAgeSeconds: number };
  /** records dropped at the cap / by age since the agent started */
  evictions: number;
  expiries: number;
  /** free bytes on the filesystem of the outbox (-1: unknown) */
  diskFreeBytes: number;
  memFreeBytes: number;
  rssBytes: number;
  ports: PortHealth[];
  /** the last uplink error (message only, never credentials), and when */
  lastUplinkError?: { message: string; at: number };
  configVersion: number;
}

export type Envelope =
  | ReadingBatch
  | SingleReading
  | EventEnvelope
  | CommandEnvelope
  | CommandResultEnvelope
  | ConfigEnvelope
  | ConfigReportedEnvelope
  | StatusEnvelope;

export type EnvelopeType = Envelope['type'];
