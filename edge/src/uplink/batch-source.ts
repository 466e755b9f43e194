import type { Envelope } from '@causeway/shared';

/** How the uplink wants new batches shaped (uplink.batchMaxReadings, batchMaxBytes, liveWindowSeconds). */
export interface FormOptions {
  maxRecords: number;
  maxBytes: number;
  liveWindowMs: number;
  /** uplink.batchDelayMs: on the direct path a stream's readings wait up to this long to share a batch (default 0) */
  delayMs?: number;
}

/**
 * A batch ready to publish: its topic and its envelope, already built from the stored records.
 * Deterministic: the same batch taken again (after a reconnect or a crash) has the same id and the same
 * envelope, so its re-send is byte-for-byte the message the cloud may already have and drops by its id.
 */
export interface OutgoingBatch {
  readonly id: string;
  readonly topic: string;
  /** stored records in it (readings in a reading batch; 1 for an event or an envelope) */
  readonly records: number;
  readonly envelope: Envelope;
}

/**
 * What the uplink needs from a store-and-forward buffer (issue 14): batches to send, and what became of
 * them. The uplink never reads stored rows; `SqliteOutbox` is the implementation. New records are
 * signalled the other way, by the owner wiring the store's commit hook to `MqttUplink.wake()`.
 */
export interface BatchSource {
  /** Forms up to `n` new batches, live-first; their ids are durable before this returns. */
  formBatches(n: number, f: FormOptions): OutgoingBatch[];
  /** Batches formed earlier and not yet acknowledged, minus `exclude` (the ones in flight), oldest first. */
  formedBatches(exclude: ReadonlySet<string>, limit: number): OutgoingBatch[];
  /** PUBACK received: the broker owns the batch, its records may go. */
  ack(batchId: string): void;
  /** A batch the broker refused: split in two under new ids; [] when it cannot be split. */
  splitBatch(batchId: string): string[];
  /** A refused batch that cannot be split is set aside and reported; undefined if it is gone. */
  quarantineBatch(batchId: string, reason: string): { rows: number } | undefined;
}
