import type { QueueEntry, StoredMessage } from '../contract.js';
import { isExpired } from '../store-args.js';
import { cachedBytes } from './message-cache.js';

export interface QueueTailsOptions {
  /** most recent messages the tails may hold (the message cache's bound) */
  maxMessages: number;
  /** payload bytes of those messages, plus `entryOverhead` each */
  maxBytes: number;
  /** bytes charged per message on top of its payload and topic (default 0: payload only) */
  entryOverhead?: number;
}

interface Tail {
  /** offset of messages[0] */
  start: number;
  /** the committed entries start, start + 1, …, contiguous up to the queue's committed next offset */
  messages: StoredMessage[];
}

/**
 * The last committed entries of each light queue, in memory (issue 15): a subscriber that keeps up reads
 * what was just committed, and answering it from SQLite cost a SELECT of the index rows and a lookup of the
 * messages on every pump — a third of the broker's CPU in fan-out and fan-in profiles. Only committed
 * entries enter (after the COMMIT that holds them), so a reader never sees a message a crash could lose.
 *
 * Bounded like the message cache: only the most recent `maxMessages` messages (and `maxBytes` of payload)
 * stay readable here; older entries are swept out in one pass now and then, and a read that starts before
 * a queue's tail goes to SQLite as before.
 */
export class QueueTails {
  private readonly tails = new Map<number, Tail>();
  /** entries of the running batch: queue id, offset, message */
  private readonly staged: Array<[number, number, StoredMessage]> = [];
  /** committed messages, oldest first, from `head`: the window the bounds apply to */
  private recent: StoredMessage[] = [];
  private head = 0;
  private bytes = 0;
  /** messages older than this id are no longer served from the tails */
  private minId = 0;
  private evictedSinceSweep = 0;
  private bytesSinceSweep = 0;

  private readonly overhead: number;

  constructor(private readonly options: QueueTailsOptions) {
    this.overhead = options.entryOverhead ?? 0;
  }

  /** Inside a batch: entry `offset` of queue `queueId` holds `message` once the batch commits. */
  stage(queueId: number, offset: number, message: StoredMessage): void {
    this.staged.push([queueId, offset, message]);
  }

  /** After the COMMIT: the staged entries are readable. */
  committed(): void {
    let last: StoredMessage | undefined;
    for (const [queueId, offset, message] of this.staged) {
      let t = this.tails.get(queueId);
      if (t === undefined || t.start + t.messages.length !== offset) {
        t = { start: offset, messages: [] };
        this.tails.set(queueId, t);
      }
      t.messages.push(message);
      if (message !== last) this.remember(message);
      last = message;
    }
    this.staged.length = 0;
  }

  /** The batch rolled back: nothing staged happened. */
  rolledBack(): void {
    this.staged.length = 0;
  }

  /** Retention removed messages (or anything else made the tails doubtful): serve from SQLite again. */
  clear(): void {
    // Staged entries too: one of them may be of a message the same batch pruned; the next append of its
    // queue starts a new tail, and reads before it go to SQLite.
    this.staged.length = 0;
    this.tails.clear();
    this.recent = [];
    this.head = 0;
    this.bytes = 0;
  }

  /**
   * Up to `max` entries of the queue from `from`, or undefined when the tail does not hold `from` (the
   * caller reads SQLite). Expired messages are skipped, as the SQLite read does.
   */
  read(queueId: number, queue: string, from: number, max: number, now: number): QueueEntry[] | undefined {
    const t = this.tails.get(queueId);
    if (t === undefined || from < t.start) return undefined;
    const i = from - t.start;
    const out: QueueEntry[] = [];
    if (i >= t.messages.length || max === 0) return out;
    // Ids grow along a queue: if the first is still inside the window, all the rest are.
    if (t.messages[i]!.id < this.minId) return undefined;
    // `max` counts entries returned, not expired ones skipped.
    for (let k = i; k < t.messages.length && out.length < max; k++) {
      const message = t.messages[k]!;
      if (message.expiresAt !== undefined && isExpired(message, now)) continue;
      out.push({ queue, offset: t.start + k, message });
    }
    return out;
  }

  private remember(m: StoredMessage): void {
    this.recent.push(m);
    this.bytes += cachedBytes(m, this.overhead);
    const { maxMessages, maxBytes } = this.options;
    while (this.recent.length - this.head > maxMessages || (this.bytes > maxBytes && this.recent.length - this.head > 1)) {
      const old = this.recent[this.head++]!;
      const size = cachedBytes(old, this.overhead);
      this.bytes -= size;
      this.minId = old.id + 1;
      this.evictedSinceSweep++;
      this.bytesSinceSweep += size;
    }
    if (this.head > 1024 && this.head * 2 > this.recent.length) {
      this.recent = this.recent.slice(this.head);
      this.head = 0;
    }
    // Entries older than the window still hold their messages until swept: at most a quarter more.
    if (this.evictedSinceSweep * 4 >= maxMessages || this.bytesSinceSweep * 4 >= maxBytes) this.sweep();
  }

  private sweep(): void {
    this.evictedSinceSweep = 0;
    this.bytesSinceSweep = 0;
    for (const [id, t] of this.tails) {
      let k = 0;
      while (k < t.messages.length && t.messages[k]!.id < this.minId) k++;
      if (k === t.messages.length) this.tails.delete(id);
      else if (k > 0) {
        t.messages = t.messages.slice(k);
        t.start += k;
      }
    }
  }

  /** Queues with a tail and entries held (tests, metrics). */
  get size(): { queues: number; entries: number } {
    let entries = 0;
    for (const t of this.tails.values()) entries += t.messages.length;
    return { queues: this.tails.size, entries };
  }
}
