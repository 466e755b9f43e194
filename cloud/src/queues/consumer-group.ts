import { matchTopic, CausewayError } from '@causeway/shared';
import { type MessageLog, type OffsetStore, type QueueEntry, serverQueue } from '@causeway/broker';
import { orderingKey, toQueueMessage, type QueueMessage } from './queue-message.js';

export type GroupMode = 'clustering' | 'broadcasting';

export interface CursorOptions {
  /** ms a delivered message stays leased to a member before it is redelivered */
  visibilityTimeoutMs: number;
  /** most messages read ahead and held per cursor */
  window: number;
  /** `mqttSecondTopic` pattern (MQTT filter syntax, leading "/") */
  filter?: string;
  now?: () => number;
}

interface Slot {
  entry: QueueEntry;
  key: string;
  acked: boolean;
  member?: string;
  deadline: number;
  deliveries: number;
}

/**
 * One committed position in one server-side queue, shared by the members that read through it:
 * a clustering group has one cursor for all members (each message to one member, per-device order
 * kept by leasing a device's messages to one member at a time); a broadcasting group has one cursor per
 * member. At-least-once: a message leased and not acked within the visibility timeout is leased again;
 * the committed offset (persisted in the OffsetStore) moves only over acked messages, so after a restart
 * unacked messages come back.
 */
export class QueueCursor {
  readonly #log: MessageLog;
  readonly #offsets: OffsetStore;
  readonly #queue: string;
  readonly #stored: string;
  readonly #consumer: string;
  readonly #o: CursorOptions;
  readonly #now: () => number;
  readonly #slots = new Map<number, Slot>();
  /** key → member holding it and how many leased slots */
  readonly #locks = new Map<string, { member: string; count: number }>();
  #committed = 0;
  #scanFrom = 0;
  #loaded = false;
  #busy: Promise<unknown> = Promise.resolve();

  constructor(log: MessageLog, offsets: OffsetStore, queue: string, consumer: string, opts: CursorOptions) {
    this.#log = log;
    this.#offsets = offsets;
    this.#queue = queue;
    this.#stored = serverQueue(queue);
    this.#consumer = consumer;
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
  }

  /** Serialises operations: pull and ack interleave on one cursor from many HTTP requests. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#busy.then(fn, fn);
    this.#busy = run.catch(() => undefined);
    return run;
  }

  async #load(): Promise<void> {
    if (this.#loaded) return;
    const saved = await this.#offsets.getOffset(this.#consumer, this.#stored);
    const first = await this.#log.firstOffset(this.#stored);
    this.#committed = Math.max(saved ?? first, first);
    this.#scanFrom = this.#committed;
    this.#loaded = true;
  }

  #matches(e: QueueEntry): boolean {
    return this.#o.filter === undefined || matchTopic(this.#queue + this.#o.filter, e.message.topic);
  }

  #release(slot: Slot): void {
    if (slot.member === undefined) return;
    const lock = this.#locks.get(slot.key);
    if (lock !== undefined && --lock.count <= 0) this.#locks.delete(slot.key);
    delete slot.member;
  }

  /** Leases up to `max` messages to `member`. */
  pull(member: string, max: number): Promise<QueueMessage[]> {
    return this.#serial(async () => {
      await this.#load();
      const now = this.#now();
      for (const s of this.#slots.values()) if (s.member !== undefined && !s.acked && s.deadline <= now) this.#release(s);
      if (this.#slots.size < this.#o.window) {
        const entries = await this.#log.read(this.#stored, this.#scanFrom, this.#o.window - this.#slots.size);
        for (const e of entries) {
          this.#slots.set(e.offset, { entry: e, key: orderingKey(e), acked: !this.#matches(e), deadline: 0, deliveries: 0 });
          this.#scanFrom = e.offset + 1;
        }
        // Entries pruned by retention leave gaps: move past them.
        if (entries.length === 0) this.#scanFrom = Math.max(this.#scanFrom, await this.#log.firstOffset(this.#stored));
      }
      const out: QueueMessage[] = [];
      const blocked = new Set<string>();
      for (const s of [...this.#slots.values()].sort((a, b) => a.entry.offset - b.entry.offset)) {
        if (out.length >= max) break;
        if (s.acked) continue;
        if (s.member !== undefined) {
          // A device's earlier message is still out: later ones wait, so per-device order holds.
          if (s.member !== member) blocked.add(s.key);
          continue;
        }
        const lock = this.#locks.get(s.key);
        if ((lock !== undefined && lock.member !== member) || blocked.has(s.key)) {
          blocked.add(s.key);
          continue;
        }
        s.member = member;
        s.deadline = now + this.#o.visibilityTimeoutMs;
        s.deliveries++;
        if (lock === undefined) this.#locks.set(s.key, { member, count: 1 });
        else lock.count++;
        out.push(toQueueMessage(this.#queue, s.entry, s.deliveries));
      }
      await this.#advance();
      return out;
    });
  }

  /** Acknowledges offsets leased to `member`; returns how many were acked. */
  ack(member: string, offsets: readonly number[]): Promise<number> {
    return this.#serial(async () => {
      await this.#load();
      let n = 0;
      for (const off of offsets) {
        const s = this.#slots.get(off);
        if (s === undefined || s.acked) continue;
        // A member whose lease expired and was given to another may no longer ack it.
        if (s.member !== member) continue;
        this.#release(s);
        s.acked = true;
        n++;
      }
      await this.#advance();
      return n;
    });
  }

  /**
   * Hands leased offsets back at once (a negative acknowledgement): they go to the next pull, of any
   * member, instead of waiting out the visibility timeout. Returns how many were released.
   */
  release(member: string, offsets: readonly number[]): Promise<number> {
    return this.#serial(async () => {
      let n = 0;
      for (const off of offsets) {
        const s = this.#slots.get(off);
        if (s === undefined || s.acked || s.member !== member) continue;
        this.#release(s);
        n++;
      }
      return n;
    });
  }

  async #advance(): Promise<void> {
    const before = this.#committed;
    while (true) {
      const s = this.#slots.get(this.#committed);
      if (s !== undefined && s.acked) {
        this.#slots.delete(this.#committed);
        this.#committed++;
        continue;
      }
      // A gap (retention) below what we scanned: skip it.
      if (s === undefined && this.#committed < this.#scanFrom) {
        this.#committed++;
        continue;
      }
      break;
    }
    if (this.#committed !== before) await this.#offsets.setOffset(this.#consumer, this.#stored, this.#committed);
  }

  /** Moves the cursor (replay): every lease is dropped and reading restarts at `offset`. */
  seek(offset: number): Promise<void> {
    return this.#serial(async () => {
      if (!Number.isSafeInteger(offset) || offset < 1) throw new CausewayError('QUEUE_BAD_OFFSET', `offset must be an integer ≥ 1, got ${offset}`);
      this.#slots.clear();
      this.#locks.clear();
      this.#committed = offset;
      this.#scanFrom = offset;
      this.#loaded = true;
      await this.#offsets.setOffset(this.#consumer, this.#stored, offset);
    });
  }

  /** Committed offset, messages not yet acked behind the head, and how many are leased now. */
  async position(): Promise<{ committed: number; next: number; lag: number; inFlight: number }> {
    await this.#load();
    const next = await this.#log.nextOffset(this.#stored);
    let inFlight = 0;
    for (const s of this.#slots.values()) if (s.member !== undefined && !s.acked) inFlight++;
    return { committed: this.#committed, next, lag: Math.max(0, next - this.#committed), inFlight };
  }
}
