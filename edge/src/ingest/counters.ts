import type { DropReason } from './drop-reason.js';

/** What one source (a serial port, an MQTT mapping) did since start. Plain numbers: cheap to bump, easy to export. */
export interface SourceCounters {
  /** serial: successful opens (1 + reopens after hot-plug); mqtt: connects */
  opens: number;
  openFailures: number;
  /** the port vanished (or the broker connection dropped) after being open */
  disconnects: number;
  bytes: number;
  frames: number;
  readings: number;
  acks: number;
  /** reply lines (`>…`) a device sent in answer to a command */
  replies: number;
  drops: Partial<Record<DropReason, number>>;
}

/** What polling one Modbus slave did since start (issue 19: counters per slave and exception code). */
export interface ModbusSlaveCounters {
  /** poll cycles started */
  polls: number;
  /** requests answered with data */
  reads: number;
  readings: number;
  timeouts: number;
  /** answers with a bad CRC (RTU) */
  crcErrors: number;
  /** requests that failed on the link (port closed, connection reset) */
  linkErrors: number;
  /** exception responses by exception code (2: illegal data address, 4: slave device failure, …) */
  exceptions: Record<string, number>;
  /** poll periods skipped because the slave was in backoff or the bus was late */
  skipped: number;
}

/** DBC (re)loads of one CAN source: at start, on a file change, SIGHUP or a remote `ingest.canDbc` (issue 19). */
export interface CanDbcCounters {
  loaded: number;
  /** a changed file that could not be read or parsed (the previous DBC stays in use) */
  failed: number;
}

export interface IngestCounters {
  /** keyed by port path, `mqtt:<topic filter>` or `modbus:<bus>` */
  sources: Record<string, SourceCounters>;
  /** keyed by `<bus>/<unit>` */
  modbus: Record<string, ModbusSlaveCounters>;
  /** keyed by `can:<source>` */
  canDbc: Record<string, CanDbcCounters>;
  readings: number;
  events: number;
  /** readings the rules held back on purpose (deadband, downsample, filter) are not errors and not here */
  sinkErrors: number;
}

export function newSourceCounters(): SourceCounters {
  return { opens: 0, openFailures: 0, disconnects: 0, bytes: 0, frames: 0, readings: 0, acks: 0, replies: 0, drops: {} };
}

export function newIngestCounters(): IngestCounters {
  return { sources: {}, modbus: {}, canDbc: {}, readings: 0, events: 0, sinkErrors: 0 };
}

export function sourceCounters(c: IngestCounters, key: string): SourceCounters {
  return (c.sources[key] ??= newSourceCounters());
}

export function countDrop(c: SourceCounters, reason: DropReason): void {
  c.drops[reason] = (c.drops[reason] ?? 0) + 1;
}

export function modbusSlaveCounters(c: IngestCounters, bus: string, unit: number): ModbusSlaveCounters {
  return (c.modbus[`${bus}/${unit}`] ??= { polls: 0, reads: 0, readings: 0, timeouts: 0, crcErrors: 0, linkErrors: 0, exceptions: {}, skipped: 0 });
}

export function canDbcCounters(c: IngestCounters, source: string): CanDbcCounters {
  return (c.canDbc[source] ??= { loaded: 0, failed: 0 });
}
