import type {
  AppendOptions,
  AppendResult,
  MessageLog,
  NewMessage,
  QueueEntry,
  RetentionPolicy,
  StoredMessage,
} from '../contract.js';
import { checkOffset, checkQueueName, distinctQueues, isExpired } from '../store-args.js';

interface QueueIndex {
  /** offset the next entry gets */
  next: number;
  /** dense run of entries; entries[i].offset === entries[0].offset + i. Dead ones (pruned message) are skipped by readers. */
  entries: { offset: number; id: number }[];
}

/**
 * In-memory MessageLog for tests and for `store.backend = memory`. Same semantics as the SQLite log
 * (store once, dense per-queue offsets, dedupe, retention) without durability: append resolves at once.
 * Everything an append does happens synchronously, so the dedupe check and insert are atomic.
 */
export class MemoryLog implements MessageLog {
  private readonly messages = new Map<number, StoredMessage>();
  private readonly queues = new Map<string, QueueIndex>();
  /** dedupe key → id of the message it admitted; dropped when that message leaves the log */
  private readonly dedupe = new Map<string, number>();
  private readonly dedupeByMessage = new Map<number, string>();
  private nextId = 1;
  private bytes = 0;

  constructor(private readonly assertOpen: () => void) {}

  async append(message: NewMessage, queues: readonly string[], options?: AppendOptions): Promise<AppendResult> {
    this.assertOpen();
    const names = distinctQueues(queues);
    const key = options?.dedupeKey;
    if (key !== undefined && this.dedupe.has(key)) return { duplicate: true };
    const id = this.nextId++;
    const stored: StoredMessage = { ...message, id };
    this.messages.set(id, stored);
    this.bytes += message.payload.length;
    if (key !== undefined) {
      this.dedupe.set(key, id);
      this.dedupeByMessage.set(id, key);
    }
    const offsets: Record<string, number> = {};
    for (const name of names) {
      let q = this.queues.get(name);
      if (q === undefined) {
        q = { next: 1, entries: [] };
        this.queues.set(name, q);
      }
      const offset = q.next++;
      q.entries.push({ offset, id });
      offsets[name] = offset;
    }
    return { duplicate: false, id, offsets };
  }

  async read(queue: string, fromOffset: number, max: number): Promise<QueueEntry[]> {
    this.assertOpen();
    checkQueueName(queue);
    checkOffset('fromOffset', fromOffset);
    checkOffset('max', max);
    const q = this.queues.get(queue);
    const out: QueueEntry[] = [];
    if (q === undefined || q.entries.length === 0 || max === 0) return out;
    const now = Date.now();
    const base = q.entries[0]!.offset;
    for (let i = Math.max(0, fromOffset - base); i < q.entries.length && out.length < max; i++) {
      const e = q.entries[i]!;
      const message = this.messages.get(e.id);
      if (message === undefined || isExpired(message, now)) continue;
      out.push({ queue, offset: e.offset, message });
    }
    return out;
  }

  async nextOffset(queue: string): Promise<number> {
    this.assertOpen();
    checkQueueName(queue);
    return this.queues.get(queue)?.next ?? 1;
  }

  async firstOffset(queue: string): Promise<number> {
    this.assertOpen();
    checkQueueName(queue);
    const q = this.queues.get(queue);
    if (q === undefined) return 1;
    for (const e of q.entries) if (this.messages.has(e.id)) return e.offset;
    return q.next;
  }

  async offsetForTime(queue: string, timeMs: number): Promise<number> {
    this.assertOpen();
    checkQueueName(queue);
    const q = this.queues.get(queue);
    if (q === undefined) return 1;
    for (const e of q.entries) {
      const m = this.messages.get(e.id);
      if (m !== undefined && m.createdAt >= timeMs) return e.offset;
    }
    return q.next;
  }

  async get(id: number): Promise<StoredMessage | undefined> {
    this.assertOpen();
    return this.messages.get(id);
  }

  async prune(policy: RetentionPolicy, now: number = Date.now()): Promise<number> {
    this.assertOpen();
    let removed = 0;
    const cutoff = policy.maxAgeMs > 0 ? now - policy.maxAgeMs : undefined;
    // Expired messages can never be delivered again [MQTT-3.3.2-5], so retention drops them as well.
    for (const m of [...this.messages.values()]) {
      if ((cutoff !== undefined && m.createdAt < cutoff) || isExpired(m, now)) {
        this.remove(m);
        removed++;
      }
    }
    if (policy.maxBytes > 0) {
      // Map iteration is insertion order, i.e. id order: oldest first.
      for (const m of this.messages.values()) {
        if (this.bytes <= policy.maxBytes) break;
        this.remove(m);
        removed++;
      }
    }
    if (removed > 0) this.trimQueues();
    return removed;
  }

  async stats(): Promise<{ messages: number; bytes: number; queues: number }> {
    this.assertOpen();
    return { messages: this.messages.size, bytes: this.bytes, queues: this.queues.size };
  }

  private remove(m: StoredMessage): void {
    this.messages.delete(m.id);
    this.bytes -= m.payload.length;
    const key = this.dedupeByMessage.get(m.id);
    if (key !== undefined) {
      this.dedupeByMessage.delete(m.id);
      this.dedupe.delete(key);
    }
  }

  /** Drops dead entries from the front of each queue; offsets are never reused, so `next` stays. */
  private trimQueues(): void {
    for (const q of this.queues.values()) {
      let dead = 0;
      while (dead < q.entries.length && !this.messages.has(q.entries[dead]!.id)) dead++;
      if (dead > 0) q.entries.splice(0, dead);
    }
  }
}
