import type Database from 'better-sqlite3';
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
import type { GroupCommit } from './group-commit.js';
import type { MessageCache } from './message-cache.js';
import { MESSAGE_COLUMNS, type MessageRow, messageParams, rowToMessage } from './message-row.js';
import { pruneLog } from './sqlite-retention.js';
import { StoreError } from '../store-error.js';
import type { QueueTails } from './queue-tails.js';

interface QueueState {
  id: number;
  /** offset the next entry gets; ahead of the database only inside an uncommitted batch */
  next: number;
}

/**
 * The SQLite MessageLog: each message once in `messages`, one small `queue_entries` row per queue it is
 * indexed into. Appends go through group commit; the next id and each queue's next offset are kept in
 * memory (loaded at open), so an append does no read — only inserts.
 */
export class SqliteLog implements MessageLog {
  private readonly queues = new Map<string, QueueState>();
  private readonly dirty = new Set<QueueState>();
  /** per queue id: the rows of its last SELECT a reader did not take yet, in offset order, none between them missing */
  private readonly ahead = new Map<number, KeptRows>();
  /** rows of the running batch, written with multi-row INSERTs just before its COMMIT */
  private readonly pendingMessages: unknown[] = [];
  private readonly pendingEntries: number[] = [];
  private readonly multi: { messages: Database.Statement; entries: Database.Statement };
  private nextId: number;
  private nextQueueId: number;
  private count: number;
  private bytes: number;
  private readonly stmt;

  constructor(
    private readonly db: Database.Database,
    private readonly commit: GroupCommit,
    private readonly cache: MessageCache,
    private readonly tails: QueueTails,
    private readonly assertOpen: () => void,
  ) {
    this.stmt = {
      insDedupe: db.prepare('INSERT OR IGNORE INTO dedupe (key, message_id, created_at) VALUES (?, ?, ?)'),
      insMessage: db.prepare(`INSERT INTO messages (${MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      insMessageIfMissing: db.prepare(`INSERT OR IGNORE INTO messages (${MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      insQueue: db.prepare('INSERT INTO queues (id, name, next_offset) VALUES (?, ?, ?)'),
      updQueue: db.prepare('UPDATE queues SET next_offset = ? WHERE id = ?'),
      insEntry: db.prepare('INSERT INTO queue_entries (queue_id, offset, message_id) VALUES (?, ?, ?)'),
      selEntries: db.prepare('SELECT offset, message_id FROM queue_entries WHERE queue_id = ? AND offset >= ? ORDER BY offset LIMIT ?'),
      selMessages: db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id IN (SELECT value FROM json_each(?))`),
      selMessage: db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = ?`),
      selFirst: db.prepare('SELECT min(offset) AS o FROM queue_entries WHERE queue_id = ?'),
      selForTime: db.prepare(
        `SELECT e.offset AS o FROM queue_entries e JOIN messages m ON m.id = e.message_id
         WHERE e.queue_id = ? AND m.created_at >= ? ORDER BY e.offset LIMIT 1`,
      ),
    };
    for (const row of db.prepare('SELECT id, name, next_offset FROM queues').all() as { id: number; name: string; next_offset: number }[]) {
      this.queues.set(row.name, { id: row.id, next: row.next_offset });
    }
    this.nextQueueId = (db.prepare('SELECT coalesce(max(id), 0) AS m FROM queues').get() as { m: number }).m + 1;
    // sqlite_sequence holds the AUTOINCREMENT high-water mark even when retention emptied the table.
    const seq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'messages'").get() as { seq: number } | undefined;
    this.nextId = (seq?.seq ?? 0) + 1;
    const totals = db.prepare('SELECT count(*) AS n, coalesce(sum(length(payload)), 0) AS b FROM messages').get() as { n: number; b: number };
    this.count = totals.n;
    this.bytes = totals.b;
    this.multi = {
      messages: db.prepare(`INSERT INTO messages (${MESSAGE_COLUMNS}) VALUES ${Array(MESSAGE_ROWS).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`),
      entries: db.prepare(`INSERT INTO queue_entries (queue_id, offset, message_id) VALUES ${Array(ENTRY_ROWS).fill('(?, ?, ?)').join(', ')}`),
    };
    commit.addBeforeCommit(() => {
      this.writePending();
      for (const q of this.dirty) this.stmt.updQueue.run(q.next, q.id);
      this.dirty.clear();
    });
    commit.addAfterCommit(() => this.tails.committed());
    commit.addOnRollback(() => {
      this.tails.rolledBack();
      this.pendingMessages.length = 0;
      this.pendingEntries.length = 0;
      this.dirty.clear();
    });
  }

  append(message: NewMessage, queues: readonly string[], options?: AppendOptions): Promise<AppendResult> {
    try {
      this.assertOpen();
      const names = distinctQueues(queues);
      const key = options?.dedupeKey;
      // Encoded before the transaction: a message that cannot be encoded fails alone, not the whole batch
      // of other clients' writes it would have joined. The id is filled in when the job runs.
      const params = encodeRow(message);
      // Captured when the job runs, for undo if its batch rolls back.
      let undo: (() => void) | undefined;
      return this.commit.submit(
        () => {
          const id = this.nextId;
          if (key !== undefined && this.stmt.insDedupe.run(key, id, message.createdAt).changes === 0) {
            return { duplicate: true } as const;
          }
          const stored: StoredMessage = { ...message, id };
          const before = { nextId: this.nextId, nextQueueId: this.nextQueueId, count: this.count, bytes: this.bytes };
          const touched: [QueueState, number][] = [];
          const created: string[] = [];
          undo = () => {
            Object.assign(this, before);
            for (const [q, next] of touched) q.next = next;
            for (const name of created) this.queues.delete(name);
            this.cache.delete(id);
          };
          params[0] = id;
          for (const p of params) this.pendingMessages.push(p);
          this.nextId++;
          this.count++;
          this.bytes += message.payload.length;
          const offsets: Record<string, number> = {};
          for (const name of names) {
            let q = this.queues.get(name);
            if (q === undefined) {
              q = { id: this.nextQueueId++, next: 1 };
              this.stmt.insQueue.run(q.id, name, q.next);
              this.queues.set(name, q);
              created.push(name);
            }
            touched.push([q, q.next]);
            const offset = q.next++;
            this.pendingEntries.push(q.id, offset, id);
            this.tails.stage(q.id, offset, stored);
            this.dirty.add(q);
            offsets[name] = offset;
          }
          // Subscribers read what was just published: it is the hottest entry there is.
          this.cache.set(stored);
          return { duplicate: false, id, offsets } as const;
        },
        () => undo?.(),
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async read(queue: string, fromOffset: number, max: number): Promise<QueueEntry[]> {
    this.assertOpen();
    checkQueueName(queue);
    checkOffset('fromOffset', fromOffset);
    checkOffset('max', max);
    const q = this.queues.get(queue);
    const out: QueueEntry[] = [];
    if (q === undefined || max === 0) return out;
    const now = Date.now();
    // A reader that keeps up asks for what was just committed: answered from memory.
    const fromTail = this.tails.read(q.id, queue, fromOffset, max, now);
    if (fromTail !== undefined) return fromTail;
    let cursor = fromOffset;
    // A reader behind the tails that asks for a few entries (one free slot of its in-flight window) is
    // served from the rest of its last SELECT, not a SELECT per entry (issue 15).
    const ahead = this.ahead.get(q.id);
    if (ahead !== undefined) {
      const rows = ahead.rows;
      const last = rows[rows.length - 1]!;
      if (fromOffset >= rows[ahead.at]!.offset && fromOffset <= last.offset) {
        // Advance a cursor into the kept rows rather than re-slicing them: a slice per read made each
        // read O(rows left), so a larger read-ahead cost more than it saved (issue 15).
        let k = ahead.at;
        while (rows[k]!.offset < fromOffset) k++;
        for (; k < rows.length && out.length < max; k++) {
          const a = rows[k]!;
          if (a.message === undefined || isExpired(a.message, now)) continue;
          out.push({ queue, offset: a.offset, message: a.message });
        }
        if (k < rows.length) {
          ahead.at = k;
          return out;
        }
        cursor = last.offset + 1;
      }
      this.ahead.delete(q.id);
    }
    // Each round advances the cursor past what it read, so this ends; it repeats only to fill `max`
    // after skipping expired messages.
    while (out.length < max) {
      const fetch = Math.max(max - out.length, READ_AHEAD);
      const rows = this.stmt.selEntries.all(q.id, cursor, fetch) as { offset: number; message_id: number }[];
      if (rows.length === 0) break;
      const messages = this.getMany(rows.map((r) => r.message_id));
      let k = 0;
      for (; k < rows.length && out.length < max; k++) {
        const r = rows[k]!;
        const message = messages.get(r.message_id);
        if (message === undefined || isExpired(message, now)) continue;
        out.push({ queue, offset: r.offset, message });
      }
      if (k < rows.length) {
        const rest: ReadAhead[] = [];
        for (let j = k; j < rows.length; j++) rest.push({ offset: rows[j]!.offset, message: messages.get(rows[j]!.message_id) });
        this.keepAhead(q.id, { rows: rest, at: 0 });
        break;
      }
      if (rows.length < fetch) break;
      cursor = rows[rows.length - 1]!.offset + 1;
    }
    return out;
  }

  /** Keeps the unread rest of a SELECT for the queue's next read; a few hundred queues at most. */
  private keepAhead(queueId: number, rest: KeptRows): void {
    this.ahead.set(queueId, rest);
    if (this.ahead.size > MAX_READ_AHEADS) this.ahead.delete(this.ahead.keys().next().value!);
  }

  /** Messages by id: from the cache, the rest in one query. Ids no longer stored are absent. */
  getMany(ids: readonly number[]): Map<number, StoredMessage> {
    const found = new Map<number, StoredMessage>();
    const missing: number[] = [];
    for (const id of ids) {
      if (found.has(id)) continue;
      const m = this.cache.get(id);
      if (m === undefined) missing.push(id);
      else found.set(id, m);
    }
    if (missing.length > 0) {
      for (const row of this.stmt.selMessages.all(JSON.stringify(missing)) as MessageRow[]) {
        const m = rowToMessage(row);
        this.cache.set(m);
        found.set(m.id, m);
      }
    }
    return found;
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
    const row = this.stmt.selFirst.get(q.id) as { o: number | null };
    return row.o ?? q.next;
  }

  async offsetForTime(queue: string, timeMs: number): Promise<number> {
    this.assertOpen();
    checkQueueName(queue);
    const q = this.queues.get(queue);
    if (q === undefined) return 1;
    const row = this.stmt.selForTime.get(q.id, timeMs) as { o: number } | undefined;
    return row?.o ?? q.next;
  }

  async get(id: number): Promise<StoredMessage | undefined> {
    this.assertOpen();
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached;
    const row = this.stmt.selMessage.get(id) as MessageRow | undefined;
    if (row === undefined) return undefined;
    const m = rowToMessage(row);
    this.cache.set(m);
    return m;
  }

  prune(policy: RetentionPolicy, now: number = Date.now()): Promise<number> {
    try {
      this.assertOpen();
    } catch (err) {
      return Promise.reject(err);
    }
    let before: { count: number; bytes: number } | undefined;
    return this.commit.submit(
      () => {
        this.writePending();
        before = { count: this.count, bytes: this.bytes };
        const removed = pruneLog(this.db, policy, now, this.bytes);
        this.count -= removed.messages;
        this.bytes -= removed.bytes;
        for (const id of removed.ids) this.cache.delete(id);
        if (removed.messages > 0) {
          this.tails.clear();
          this.ahead.clear();
        }
        return removed.messages;
      },
      () => {
        if (before !== undefined) Object.assign(this, before);
      },
    );
  }

  async stats(): Promise<{ messages: number; bytes: number; queues: number }> {
    this.assertOpen();
    return { messages: this.count, bytes: this.bytes, queues: this.queues.size };
  }

  /**
   * Inside a group-commit job: makes sure `message` is in the log (a retained message handed over without
   * an append, or one retention already removed). Returns an undo for the in-memory totals.
   */
  ensureStoredInJob(message: StoredMessage): () => void {
    this.writePending();
    const before = { nextId: this.nextId, count: this.count, bytes: this.bytes };
    if (this.stmt.insMessageIfMissing.run(...messageParams(message.id, message)).changes > 0) {
      this.count++;
      this.bytes += message.payload.length;
      if (message.id >= this.nextId) this.nextId = message.id + 1;
    }
    return () => Object.assign(this, before);
  }

  /**
   * Inside the batch's transaction: writes the rows appends of this batch queued, many per statement
   * (one native call per 32 messages / 300 entries instead of one per row). Called before COMMIT and
   * before any statement of the batch that needs those rows to exist.
   */
  private writePending(): void {
    flushRows(this.pendingMessages, 9, MESSAGE_ROWS, this.multi.messages, this.stmt.insMessage);
    flushRows(this.pendingEntries, 3, ENTRY_ROWS, this.multi.entries, this.stmt.insEntry);
  }
}

const MESSAGE_ROWS = 32;
/** rows a SELECT of queue entries fetches at least */
const READ_AHEAD = 64;
const MAX_READ_AHEADS = 256;

interface ReadAhead {
  offset: number;
  /** undefined: the message is no longer stored */
  message: StoredMessage | undefined;
}
/** the rest of a SELECT kept for the queue's next read; rows before `at` were read already */
interface KeptRows {
  rows: ReadAhead[];
  at: number;
}
const ENTRY_ROWS = 300;

/**
 * Runs `full` (a `rows`-row INSERT) over whole chunks of `params` and `single` (one row of `width`
 * values) over the rest, then empties `params`.
 */
function flushRows(params: unknown[], width: number, rows: number, full: Database.Statement, single: Database.Statement): void {
  const chunk = width * rows;
  let i = 0;
  for (; i + chunk <= params.length; i += chunk) full.run(params.slice(i, i + chunk));
  for (; i < params.length; i += width) single.run(params.slice(i, i + width));
  params.length = 0;
}

/** The message's row parameters (id still 0), or STORE_INVALID naming what could not be encoded. */
function encodeRow(message: NewMessage): unknown[] {
  try {
    return messageParams(0, message);
  } catch (err) {
    throw new StoreError('STORE_INVALID', `message on ${JSON.stringify(message.topic)} cannot be stored: ${(err as Error).message}`, { cause: err });
  }
}
