import type { PendingRecord } from './group-commit.js';
import type { OutboxRow } from './outbox-batches.js';

/** A record accepted and not yet settled: neither committed to the file nor PUBACKed by the cloud. */
export interface PendingItem extends PendingRecord {
  /** its row id and reading seq, reserved before the write (id-reservation.ts) */
  id: number;
  /** monotonic ms when it was added: its commit deadline and batch delay count from here */
  at: number;
  /** the direct batch it went out in, while that batch is in memory */
  batch?: string;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** A batch formed from pending readings (the direct path): one topic, in id order. */
export interface DirectBatch {
  id: string;
  items: PendingItem[];
}

export interface DirectFormOptions {
  /** batches wanted at most */
  n: number;
  maxRecords: number;
  maxBytes: number;
  /** uplink.batchDelayMs: a stream's readings wait this long to share a batch */
  delayMs: number;
  /** monotonic now */
  now: number;
  /** the outbox epoch: batch ids are `${epoch}-${firstId}`, as for batches formed from the file */
  epoch: string;
}

/** A row as stored, for building a batch envelope from pending items (batch-envelope.ts). */
export function itemRow(p: PendingItem): OutboxRow {
  return { id: p.id, ...p.row };
}

/**
 * The records between their add and their settling (issue 16): each is settled either by the commit
 * that writes it (its deadline, `buffer.commitIntervalMs` after the add) or, on the direct path, by the
 * PUBACK of the batch it went out in, whichever comes first. Pure bookkeeping, no I/O: the outbox
 * decides when to form and when to commit. Items stay in arrival order, which is id order.
 *
 * A direct batch is committed whole (every item of it, with its batch id) as soon as any of its items
 * is due, so a batch is either all in memory or all in the file, and a re-send from the file after a
 * reconnect or a crash is the same id with the same readings.
 */
export class PendingRecords {
  private items: PendingItem[] = [];
  /** items not in a direct batch */
  private unsentCount = 0;
  /** record bytes of the items (row.bytes summed): what a direct-path memory cap bounds */
  private bytesPending = 0;
  /** readings not in a direct batch, in order: what form() looks at (not every item in flight) */
  private unsentReadings: PendingItem[] = [];
  /** record bytes of unsentReadings */
  private unsentReadingBytes = 0;
  /** direct batches formed and neither acknowledged nor committed, in forming order */
  private readonly batches = new Map<string, DirectBatch>();

  get size(): number {
    return this.items.length;
  }

  /** Record bytes of the items pending: what the direct path's memory cap bounds. */
  get bytes(): number {
    return this.bytesPending;
  }

  /** Record bytes of the readings not (yet) in a direct batch. */
  get unsentBytes(): number {
    return this.unsentReadingBytes;
  }

  /** Items not (yet) in a direct batch: what a commit-by-count bounds. */
  get unsent(): number {
    return this.unsentCount;
  }

  add(p: PendingItem): void {
    this.items.push(p);
    this.unsentCount++;
    this.bytesPending += p.row.bytes;
    if (p.row.kind === 'reading') {
      this.unsentReadings.push(p);
      this.unsentReadingBytes += p.row.bytes;
    }
  }

  /** Monotonic time of the oldest item, or undefined when none is pending. */
  oldestAt(): number | undefined {
    return this.items[0]?.at;
  }

  isDirect(batchId: string): boolean {
    return this.batches.has(batchId);
  }

  /** Direct batches not in `exclude` (in flight on this connection), in forming order. */
  formed(exclude: ReadonlySet<string>): DirectBatch[] {
    return [...this.batches.values()].filter((b) => !exclude.has(b.id));
  }

  /**
   * Forms direct batches from readings not yet in one: per topic and priority, oldest first, at most
   * `maxRecords` and `maxBytes` each. A topic goes when its oldest reading waited `delayMs`, when it has
   * a full batch, or when the readings waiting over all topics fill a batch (at high rates waiting buys
   * nothing). Returns the batches and, when some topic waits, the monotonic time it becomes due.
   */
  form(o: DirectFormOptions): { batches: DirectBatch[]; wakeAt?: number } {
    // per priority, then topic (no key string per reading: form runs often)
    const groups: Array<Map<string, PendingItem[]>> = [];
    for (const p of this.unsentReadings) {
      const byTopic = (groups[p.row.priority] ??= new Map());
      const g = byTopic.get(p.row.topic);
      if (g === undefined) byTopic.set(p.row.topic, [p]);
      else g.push(p);
    }
    const busy = this.unsentReadings.length >= o.maxRecords;
    const order = groups.flatMap((m) => [...m.values()]).sort((a, b) => a[0]!.row.priority - b[0]!.row.priority || a[0]!.id - b[0]!.id);
    const batches: DirectBatch[] = [];
    let wakeAt: number | undefined;
    for (const g of order) {
      let i = 0;
      while (i < g.length && batches.length < o.n) {
        let bytes = 0;
        let take = 0;
        while (i + take < g.length && take < o.maxRecords && (take === 0 || bytes + g[i + take]!.row.bytes <= o.maxBytes)) bytes += g[i + take++]!.row.bytes;
        const full = take >= o.maxRecords || i + take < g.length;
        const due = g[i]!.at + o.delayMs;
        if (!full && !busy && o.now < due) {
          wakeAt = wakeAt === undefined ? due : Math.min(wakeAt, due);
          break;
        }
        const items = g.slice(i, i + take);
        const b: DirectBatch = { id: `${o.epoch}-${items[0]!.id}`, items };
        for (const p of items) p.batch = b.id;
        this.unsentCount -= items.length;
        this.batches.set(b.id, b);
        batches.push(b);
        i += take;
      }
      if (batches.length >= o.n) break;
    }
    if (batches.length > 0) this.setUnsentReadings(this.unsentReadings.filter((p) => p.batch === undefined));
    return wakeAt === undefined ? { batches } : { batches, wakeAt };
  }

  /** PUBACK of a direct batch still in memory: its items, now settled; undefined if it is not one. */
  ack(batchId: string): PendingItem[] | undefined {
    const b = this.batches.get(batchId);
    if (b === undefined) return undefined;
    this.batches.delete(batchId);
    const gone = new Set(b.items);
    this.items = this.items.filter((p) => !gone.has(p));
    for (const p of b.items) this.bytesPending -= p.row.bytes;
    return b.items;
  }

  /**
   * The items to commit now, in id order, removed from here: those added at or before `cutoff`, with
   * every item of the direct batches they are in (a batch goes to the file whole), and, when anything is
   * due, every item not out on the direct path (a write is paid anyway: one commit per interval, not one
   * per item, while the link is down); all when `cutoff` is undefined.
   */
  takeDue(cutoff?: number): PendingItem[] {
    if (cutoff === undefined || this.items.length === 0 || this.items.at(-1)!.at <= cutoff) return this.takeAll();
    const take = new Set<PendingItem>();
    for (const p of this.items) {
      if (p.at > cutoff) break;
      take.add(p);
      if (p.batch !== undefined) {
        const b = this.batches.get(p.batch);
        if (b !== undefined) for (const q of b.items) take.add(q);
        this.batches.delete(p.batch);
      }
    }
    if (take.size === 0) return [];
    for (const p of this.items) if (p.batch === undefined) take.add(p);
    const out: PendingItem[] = [];
    const keep: PendingItem[] = [];
    for (const p of this.items) (take.has(p) ? out : keep).push(p);
    this.items = keep;
    for (const p of out) {
      if (p.batch === undefined) this.unsentCount--;
      this.bytesPending -= p.row.bytes;
    }
    this.setUnsentReadings(this.unsentReadings.filter((p) => !take.has(p)));
    return out;
  }

  private setUnsentReadings(r: PendingItem[]): void {
    this.unsentReadings = r;
    this.unsentReadingBytes = 0;
    for (const p of r) this.unsentReadingBytes += p.row.bytes;
  }

  takeAll(): PendingItem[] {
    const out = this.items;
    this.items = [];
    this.batches.clear();
    this.unsentCount = 0;
    this.bytesPending = 0;
    this.unsentReadings = [];
    this.unsentReadingBytes = 0;
    return out;
  }
}
