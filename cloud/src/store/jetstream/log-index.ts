import { isExpired } from '@causeway/broker';

/** What a node keeps in memory about one log record (the payload stays in JetStream and the cache). */
export interface IndexedRecord {
  id: number;
  createdAt: number;
  expiresAt?: number;
  bytes: number;
  dedupeKey?: string;
}

interface QueueRun {
  /** offset the next entry gets */
  next: number;
  /** entries in offset order (dense unless records in the middle were pruned before a restart) */
  entries: { offset: number; id: number }[];
}

/**
 * The per-node view of the JetStream log: per-queue offset runs, dedupe keys and sizes, derived only from
 * the stream (every node replays it at start and tails it after), so all nodes agree. The offsets
 * themselves are written into each record by the node that appended it, so replay never recomputes them.
 * Pure and synchronous: the JetStream log drives it, the tests can drive it without a server.
 */
export class LogIndex {
  private readonly records = new Map<number, IndexedRecord>();
  private readonly queues = new Map<string, QueueRun>();
  private readonly dedupe = new Map<string, number>();
  /** highest stream sequence applied */
  lastSeq = 0;
  bytes = 0;

  /** The offsets an append to `queues` would get now. */
  plan(queues: readonly string[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const q of queues) out[q] = this.queues.get(q)?.next ?? 1;
    return out;
  }

  hasKey(key: string): boolean {
    return this.dedupe.has(key);
  }

  /** Applies one record of the stream, in sequence order. */
  apply(record: IndexedRecord, offsets: Record<string, number>): void {
    if (record.id <= this.lastSeq) return;
    this.lastSeq = record.id;
    this.records.set(record.id, record);
    this.bytes += record.bytes;
    if (record.dedupeKey !== undefined) this.dedupe.set(record.dedupeKey, record.id);
    for (const [name, offset] of Object.entries(offsets)) {
      let q = this.queues.get(name);
      if (q === undefined) {
        q = { next: offset, entries: [] };
        this.queues.set(name, q);
      }
      q.entries.push({ offset, id: record.id });
      q.next = Math.max(q.next, offset + 1);
    }
  }

  /** Raises each queue's next offset to at least the checkpointed one (all its records pruned). */
  restoreCounters(next: Record<string, number>): void {
    for (const [name, n] of Object.entries(next)) {
      const q = this.queues.get(name);
      if (q === undefined) this.queues.set(name, { next: n, entries: [] });
      else q.next = Math.max(q.next, n);
    }
  }

  counters(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, q] of this.queues) out[name] = q.next;
    return out;
  }

  get(id: number): IndexedRecord | undefined {
    return this.records.get(id);
  }

  /** Entries of `queue` from `fromOffset` on whose record is still held and not expired, at most `max`. */
  entries(queue: string, fromOffset: number, max: number, now: number): { offset: number; id: number }[] {
    const q = this.queues.get(queue);
    const out: { offset: number; id: number }[] = [];
    if (q === undefined || q.entries.length === 0 || max === 0) return out;
    for (let i = firstAtOrAfter(q.entries, fromOffset); i < q.entries.length && out.length < max; i++) {
      const e = q.entries[i]!;
      const r = this.records.get(e.id);
      if (r === undefined || isExpired(r, now)) continue;
      out.push(e);
    }
    return out;
  }

  nextOffset(queue: string): number {
    return this.queues.get(queue)?.next ?? 1;
  }

  firstOffset(queue: string): number {
    const q = this.queues.get(queue);
    if (q === undefined) return 1;
    for (const e of q.entries) if (this.records.has(e.id)) return e.offset;
    return q.next;
  }

  offsetForTime(queue: string, timeMs: number): number {
    const q = this.queues.get(queue);
    if (q === undefined) return 1;
    for (const e of q.entries) {
      const r = this.records.get(e.id);
      if (r !== undefined && r.createdAt >= timeMs) return e.offset;
    }
    return q.next;
  }

  /** Ids retention removes, oldest first: too old or expired, then the oldest while above maxBytes. */
  pruneCandidates(maxAgeMs: number, maxBytes: number, now: number): number[] {
    const out: number[] = [];
    const cutoff = maxAgeMs > 0 ? now - maxAgeMs : undefined;
    let bytes = this.bytes;
    const gone = new Set<number>();
    for (const r of this.records.values()) {
      // Expired messages can never be delivered again [MQTT-3.3.2-5], so retention drops them as well.
      if ((cutoff !== undefined && r.createdAt < cutoff) || isExpired(r, now)) {
        out.push(r.id);
        gone.add(r.id);
        bytes -= r.bytes;
      }
    }
    if (maxBytes > 0) {
      for (const r of this.records.values()) {
        if (bytes <= maxBytes) break;
        if (gone.has(r.id)) continue;
        out.push(r.id);
        bytes -= r.bytes;
      }
    }
    return out.sort((a, b) => a - b);
  }

  /** True when `ids` (ascending) are exactly the oldest records held, so one purge-below can remove them. */
  isOldest(ids: readonly number[]): boolean {
    let i = 0;
    for (const id of this.records.keys()) {
      if (i === ids.length) return true;
      if (id !== ids[i]) return false;
      i++;
    }
    return i === ids.length;
  }

  /** Forgets a record (pruned here or by another node); queue runs keep their offsets. */
  remove(id: number): void {
    const r = this.records.get(id);
    if (r === undefined) return;
    this.records.delete(id);
    this.bytes -= r.bytes;
    if (r.dedupeKey !== undefined && this.dedupe.get(r.dedupeKey) === id) this.dedupe.delete(r.dedupeKey);
  }

  /** Drops dead entries from the front of each run; offsets are never reused, so `next` stays. */
  trim(): void {
    for (const q of this.queues.values()) {
      let dead = 0;
      while (dead < q.entries.length && !this.records.has(q.entries[dead]!.id)) dead++;
      if (dead > 0) q.entries.splice(0, dead);
    }
  }

  stats(): { messages: number; bytes: number; queues: number } {
    return { messages: this.records.size, bytes: this.bytes, queues: this.queues.size };
  }
}

/** Binary search: index of the first entry with offset ≥ offset. */
function firstAtOrAfter(entries: readonly { offset: number }[], offset: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.offset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
