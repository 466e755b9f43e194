import type { ReadingValue, Severity } from '@causeway/shared';

/**
 * Where ingest hands what it produced. The store-and-forward side (the outbox) implements it; the
 * promise resolves only after the durable commit, so a serial source may acknowledge the device then.
 */
export type Priority = 'alarm' | 'telemetry' | 'bulk';

export interface ReadingInput {
  device: string;
  stream: string;
  /** ms since the epoch */
  ts: number;
  value: ReadingValue;
  unit?: string;
  quality?: number;
  /** default 'telemetry' */
  priority?: Priority;
}

export interface EventInput {
  device: string;
  event: string;
  severity: Severity;
  ts: number;
  data?: Record<string, unknown>;
  /** default: 'alarm' for severity alarm/critical, else 'telemetry' */
  priority?: Priority;
}

export interface UplinkSink {
  addReading(reading: ReadingInput): Promise<void>;
  addEvent(event: EventInput): Promise<void>;
}
