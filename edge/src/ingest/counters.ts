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

export interface IngestCounters {
  /** keyed by port path or `mqtt:<topic filter>` */
  sources: Record<string, SourceCounters>;
  readings: number;
  events: number;
  /** readings the rules held back on purpose (deadband, downsample, filter) are not errors and not here */
  sinkErrors: number;
}

export function newSourceCounters(): SourceCounters {
  return { opens: 0, openFailures: 0, disconnects: 0, bytes: 0, frames: 0, readings: 0, acks: 0, replies: 0, drops: {} };
}

export function newIngestCounters(): IngestCounters {
  return { sources: {}, readings: 0, events: 0, sinkErrors: 0 };
}

export function sourceCounters(c: IngestCounters, key: string): SourceCounters {
  return (c.sources[key] ??= newSourceCounters());
}

export function countDrop(c: SourceCounters, reason: DropReason): void {
  c.drops[reason] = (c.drops[reason] ?? 0) + 1;
}
