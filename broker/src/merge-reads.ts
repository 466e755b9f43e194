import type { QueueEntry, StoredMessage } from './store/contract.js';

/** What one read of one light queue returned. */
export interface QueueRead {
  queue: string;
  entries: readonly QueueEntry[];
  /** true when the read returned fewer entries than asked: the queue holds nothing more right now */
  complete: boolean;
}

export interface Position {
  queue: string;
  offset: number;
}

/** One message to deliver once, with every queue position it consumes. */
export interface MergedMessage {
  message: StoredMessage;
  positions: Position[];
}

/**
 * Merges reads of several light queues of one session into one delivery sequence: each message once
 * (overlapping subscriptions index the same log record into several queues), in log order.
 *
 * Log ids grow with append order in every queue, so a message beyond the last id of a queue whose read
 * was cut short may still be coming in that queue; the merge stops there and leaves the rest unconsumed
 * (the next read returns it again). That keeps "once" exact without remembering delivered ids.
 */
export function mergeReads(reads: readonly QueueRead[]): MergedMessage[] {
  // One queue (one subscription, the common case): already in order, each message once.
  if (reads.length === 1) return reads[0]!.entries.map((e) => ({ message: e.message, positions: [{ queue: e.queue, offset: e.offset }] }));
  let boundary = Number.POSITIVE_INFINITY;
  for (const r of reads) {
    const last = r.entries[r.entries.length - 1];
    if (!r.complete && last !== undefined) boundary = Math.min(boundary, last.message.id);
  }
  const byId = new Map<number, MergedMessage>();
  for (const r of reads) {
    for (const e of r.entries) {
      if (e.message.id > boundary) break;
      let m = byId.get(e.message.id);
      if (m === undefined) {
        m = { message: e.message, positions: [] };
        byId.set(e.message.id, m);
      }
      m.positions.push({ queue: e.queue, offset: e.offset });
    }
  }
  return [...byId.values()].sort((a, b) => a.message.id - b.message.id);
}
