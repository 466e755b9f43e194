import type Database from 'better-sqlite3';
import { CausewayError, silentLogger, type Logger, formatTopic, type CommandResultEnvelope, type ConfigReportedEnvelope } from '@causeway/shared';
import type { EventInput, ReadingInput, UplinkSink } from '../ingest/sink.js';
import { DEFAULT_MAX_READING_BYTES } from '../ingest/reading-size.js';
import type { BatchSource, FormOptions } from '../uplink/batch-source.js';
import { toFormedBatch, type FormedBatch } from './batch-envelope.js';
import { ClockJump } from './clock-jump.js';
import { dropUnsentReport, evictionReport } from './eviction-report.js';
import { commitGroup, insertRecord, type GroupCommitResult } from './group-commit.js';
import { IdReservation } from './id-reservation.js';
import { itemRow, PendingRecords, type DirectBatch, type PendingItem } from './pending-records.js';
import { LiveWindow } from './live-window.js';
import { formNewBatches, loadStoredBatches } from './outbox-batches.js';
import { OutboxCounters, type PriorityCounts } from './outbox-counters.js';
import { quarantineFormedBatch, splitFormedBatch, type QuarantineResult } from './outbox-quarantine.js';
import { isCorruption, openOutboxDb, type Quarantine } from './open-outbox-db.js';
import type { ResultSink } from '../commands/contract.js';
import { configReportRecord, eventRecord, ownEventRecord, readingRecord, recordBytes, resultRecord, type NewRecord } from './record-topics.js';
import { PRIORITY_RANK } from './record-codec.js';

/** Pending records past this many times commitMaxRecords are committed inside the add (commitByCount). */
const OVERDUE_FACTOR = 4;

export interface OutboxOptions {
  path: string;
  gateway: string;
  maxBytes: number;
  maxAgeMs: number;
  /**
   * a record is committed this long after its add, unless the direct path settled it first (default
   * 50 ms here; the agent's config default, buffer.commitIntervalMs, is 250)
   */
  commitIntervalMs?: number;
  /**
   * group commit: commit at the end of this turn of the event loop when this many pending records are not
   * out on the direct path, at once past 4 times as many (default 500). Not with `direct`: there the
   * commit deadline bounds what waits in memory, and `pendingMaxBytes` caps it (at 10,000 readings/s a
   * count of 500 is reached in 50 ms and sent every reading to the file, issue 16)
   */
  commitMaxRecords?: number;
  /**
   * with `direct`: commit at once when the records pending (not yet committed nor PUBACKed) reach this
   * many bytes (record bytes, as buffer.maxBytes counts them; default 2 MiB, below 10 s of 10,000
   * readings/s of 80 bytes). The memory bound of the direct path when the link falls behind.
   */
  pendingMaxBytes?: number;
  /**
   * the direct path (issue 16, buffer.direct): while the file holds no record, formBatches hands out
   * pending readings before their commit, and a PUBACK settles them without a write (default false)
   */
  direct?: boolean;
  /** ingest.maxReadingBytes, the backstop behind every ingest path: larger readings are refused (default 8 KiB; 0: none) */
  maxReadingBytes?: number;
  /** at most one eviction report event per this interval (default 1000 ms) */
  reportIntervalMs?: number;
  now?: () => number;
  /** a monotonic clock in ms (default performance.now), to tell a wall-clock jump from elapsed time */
  mono?: () => number;
  logger?: Logger;
  /** there is something new to send: a commit added rows, or readings wait for the direct path (the uplink wakes up) */
  onCommit?: () => void;
  /** the file is corrupt at run time; the agent should exit so the start-up check quarantines it */
  onFatal?: (err: CausewayError) => void;
}

export type { FormOptions } from '../uplink/batch-source.js';
export type { FormedBatch } from './batch-envelope.js';
export type { OutboxRow, RecordKind } from './outbox-batches.js';

export interface OutboxStats {
  records: number;
  bytes: number;
  evicted: PriorityCounts;
  expired: PriorityCounts;
  /** records the broker refused, moved to the quarantine table (issue 23 item 5) */
  quarantined: PriorityCounts;
  rejectedFull: number;
  /** readings the cloud acknowledged on the direct path before their commit: never written to the file */
  directAcked: number;
  /** records accepted and not yet settled (neither committed nor acknowledged) */
  pending: number;
}

/**
 * The store-and-forward buffer: a SQLite file that survives power cuts. Implements the ingest side's
 * UplinkSink (and the command side's ResultSink): adds are group-committed and their promises resolve
 * after the COMMIT. Implements the uplink's BatchSource: batches come out as envelopes, ready to encode.
 * This class composes the parts (issue 14): the rows per record kind (record-topics.ts), the group
 * commit (group-commit.ts), clock-jump shifting (clock-jump.ts), the eviction report
 * (eviction-report.ts, outbox-counters.ts), the live window (live-window.ts), batch forming
 * (outbox-batches.ts, batch-envelope.ts) and refusals (outbox-quarantine.ts).
 */
export class SqliteOutbox implements UplinkSink, ResultSink, BatchSource {
  readonly epoch: string;
  readonly quarantine: Quarantine | undefined;
  private readonly db: Database.Database;
  private readonly o: Required<Omit<OutboxOptions, 'logger' | 'onCommit' | 'onFatal'>> & Pick<OutboxOptions, 'onCommit' | 'onFatal'>;
  private readonly log: Logger;
  private readonly queue = new PendingRecords();
  private readonly ids: IdReservation;
  private pendingAcks: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private delayTimer: NodeJS.Timeout | undefined;
  /** the end-of-turn commit once commitMaxRecords are pending (commitByCount) */
  private soon: NodeJS.Immediate | undefined;
  /** the batch bounds of the last direct forming (formWouldSend) */
  private lastForm = { maxRecords: 1, maxBytes: 1 };
  private directAcked = 0;
  private unackedRow: Database.Statement | undefined;
  private readonly housekeeping: NodeJS.Timeout;
  private totalBytes: number;
  private totalRecords: number;
  private readonly counters: OutboxCounters;
  private readonly clock: ClockJump;
  private readonly live = new LiveWindow();
  private lastReport = 0;
  private nextExpiry = 0;
  private closed = false;
  private rejectedFull = 0;

  static open(opts: OutboxOptions): SqliteOutbox {
    return new SqliteOutbox(opts);
  }

  private constructor(opts: OutboxOptions) {
    this.o = { commitIntervalMs: 50, commitMaxRecords: 500, pendingMaxBytes: 2 * 1024 * 1024, direct: false, reportIntervalMs: 1000, maxReadingBytes: DEFAULT_MAX_READING_BYTES, now: Date.now, mono: () => performance.now(), ...opts };
    this.log = opts.logger ?? silentLogger;
    this.clock = new ClockJump(this.o.mono);
    const { db, quarantine } = openOutboxDb(opts.path, this.o.now);
    this.db = db;
    this.quarantine = quarantine;
    this.epoch = (db.prepare("SELECT value FROM meta WHERE key = 'epoch'").get() as { value: string }).value;
    const agg = db.prepare('SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM records').get() as { n: number; b: number };
    this.totalRecords = agg.n;
    this.totalBytes = agg.b;
    this.counters = new OutboxCounters(db);
    this.ids = new IdReservation(db);
    if (quarantine) {
      this.log.error('outbox file was damaged; moved aside and started fresh', { movedTo: quarantine.movedTo, reason: quarantine.reason });
      this.db.transaction(() => this.insertOwnEvent('outbox-corrupt', 'alarm', { movedTo: quarantine.movedTo, reason: quarantine.reason.slice(0, 200), epoch: this.epoch }))();
    }
    this.housekeeping = setInterval(() => this.commit(), Math.min(1000, this.o.reportIntervalMs));
    this.housekeeping.unref();
  }

  addReading(reading: ReadingInput): Promise<void> {
    return this.enqueue(() => readingRecord(this.o.gateway, reading, this.o.maxReadingBytes));
  }

  addEvent(event: EventInput): Promise<void> {
    return this.enqueue(() => eventRecord(this.o.gateway, event));
  }

  /** A command result, sent on cmd-result/{gw}/{device}/{commandId}; resolves once durably queued. */
  sendResult(result: CommandResultEnvelope): Promise<void> {
    return this.enqueue(() => resultRecord(this.o.gateway, result));
  }

  /** A config report, sent on config-reported/{gw}; resolves once durably queued. */
  sendConfigReport(report: ConfigReportedEnvelope): Promise<void> {
    return this.enqueue(() => configReportRecord(this.o.gateway, report));
  }

  private enqueue(build: () => NewRecord): Promise<void> {
    if (this.closed) return Promise.reject(new CausewayError('OUTBOX_CLOSED', 'the outbox is closed'));
    let partial;
    try {
      partial = build();
    } catch (err) {
      return Promise.reject(err);
    }
    const created = this.o.now();
    const bytes = recordBytes(partial);
    if (bytes > this.o.maxBytes) return Promise.reject(new CausewayError('OUTBOX_FULL', `record of ${bytes} bytes exceeds buffer.maxBytes ${this.o.maxBytes}`));
    let id: number;
    try {
      id = this.ids.take();
    } catch (err) {
      return Promise.reject(new CausewayError('IO_OUTBOX_WRITE', `outbox could not reserve record ids: ${(err as Error).message}`, { cause: err }));
    }
    // the row written out field by field, not spread from `partial`: one object shape per kind (bench outbox-ingest)
    const row: PendingItem['row'] = { kind: partial.kind, topic: partial.topic, device: partial.device, stream: partial.stream, body: partial.body, priority: partial.priority, created, bytes };
    if (partial.reading !== undefined) row.reading = partial.reading;
    return new Promise<void>((resolve, reject) => {
      this.queue.add({ row, expires: created + this.o.maxAgeMs, id, at: performance.now(), resolve, reject });
      if (this.o.direct && this.queue.bytes >= this.o.pendingMaxBytes) return this.commit(true);
      if (!this.o.direct && this.commitByCount()) return;
      // An alarm is not held for the commit interval: it is committed at the end of this turn (and so
      // sendable at once, live-first), whatever buffer.commitIntervalMs says; alarms are rare.
      if (partial.priority === PRIORITY_RANK.alarm) return this.commitSoon();
      this.armCommit();
      if (this.o.direct && partial.kind === 'reading' && this.formWouldSend()) this.o.onCommit?.();
    });
  }

  /**
   * Whether a reading just added may let formBatches send something now, so the uplink is worth waking:
   * not while a batch delay is pending (its timer wakes the uplink when the oldest waiting stream is due,
   * and a newer reading is due no sooner) unless the readings waiting could fill a batch. Waking on every
   * add cost a form pass per event-loop tick, the largest cost of the direct path at 1,000 readings/s
   * (`--cpu-prof`, issue 16).
   */
  private formWouldSend(): boolean {
    return this.delayTimer === undefined || this.queue.unsent >= this.lastForm.maxRecords || this.queue.unsentBytes >= this.lastForm.maxBytes;
  }

  /**
   * With the direct path off, `commitMaxRecords` records pending start a commit at the end of this turn
   * of the event loop (setImmediate), not inside this add: the adds of one burst (one serial chunk, one
   * batch of sensors) share one COMMIT, one fsync, instead of one per `commitMaxRecords` (bench
   * outbox-ingest: 1,000 concurrent adds were two commits, now one; issue 16). At OVERDUE_FACTOR times
   * the count the commit is immediate, so memory stays bounded. Returns true when it committed now.
   */
  private commitByCount(): boolean {
    const unsent = this.queue.unsent;
    if (unsent < this.o.commitMaxRecords) return false;
    if (unsent >= OVERDUE_FACTOR * this.o.commitMaxRecords) {
      this.commit(true);
      return true;
    }
    this.commitSoon();
    return false;
  }

  /** A commit of everything pending at the end of this turn of the event loop (one for all adds of the turn). */
  private commitSoon(): void {
    this.soon ??= setImmediate(() => {
      this.soon = undefined;
      this.commit(true);
    });
  }

  /** The commit timer: the oldest pending record's deadline, or an interval for pending deletes. */
  private armCommit(): void {
    if (this.timer !== undefined || this.closed) return;
    const oldest = this.queue.oldestAt();
    if (oldest === undefined && this.pendingAcks.length === 0) return;
    const delay = oldest === undefined ? this.o.commitIntervalMs : Math.max(0, oldest + this.o.commitIntervalMs - performance.now());
    this.timer = setTimeout(() => this.commit(), Math.ceil(delay));
  }

  /**
   * A batch delivered (PUBACK received). A direct batch still in memory settles its readings here, with
   * no write: the cloud's PUBACK follows its own durable commit. Otherwise its rows are deleted at the
   * next commit.
   */
  ack(batchId: string): void {
    if (this.closed) return;
    const settled = this.queue.ack(batchId);
    if (settled !== undefined) {
      this.directAcked += settled.length;
      for (const p of settled) p.resolve();
      return;
    }
    this.pendingAcks.push(batchId);
    this.armCommit();
  }

  /** Commits everything pending now (SIGTERM drain, tests). */
  flush(): void {
    this.commit(true);
  }

  /** Commits the records that are due (or all), the pending deletes, expiry and reports, in one transaction. */
  private commit(all = false): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // A commit of everything queued for the end of this turn stays queued when only the due records are
    // committed now (the housekeeping tick): it is what an alarm or a burst past commitMaxRecords waits for.
    if (all && this.soon) {
      clearImmediate(this.soon);
      this.soon = undefined;
    }
    if (this.closed) return;
    try {
      this.commitNow(all);
    } finally {
      this.armCommit();
    }
  }

  private commitNow(all: boolean): void {
    const items = this.queue.takeDue(all ? undefined : performance.now() - this.o.commitIntervalMs);
    const acks = this.pendingAcks;
    const now = this.o.now();
    const jump = this.clockJump(now);
    // Nothing in the file, nothing to expire: an idle agent opens no transaction each second (issue 16).
    const expireDue = this.totalRecords > 0 && now >= this.nextExpiry;
    const reportDue = now - this.lastReport >= this.o.reportIntervalMs && this.counters.unreported() > 0;
    if (items.length === 0 && acks.length === 0 && !expireDue && !reportDue && jump === 0) return;
    this.pendingAcks = [];
    let res: GroupCommitResult;
    try {
      res = commitGroup(this.db, this.counters, { items, acks, now, jump, expireDue, totalBytes: this.totalBytes, maxBytes: this.o.maxBytes });
    } catch (err) {
      const e = new CausewayError('IO_OUTBOX_WRITE', `outbox commit failed: ${(err as Error).message}`, { cause: err });
      this.log.error('outbox commit failed', { err: e, records: items.length });
      for (const p of items) p.reject(e);
      this.pendingAcks.push(...acks); // rows stay; retried at the next tick (duplicates are dropped by id)
      // A file that went bad under us cannot be repaired in place: the owner restarts the agent, and
      // the start-up check quarantines the file (open-outbox-db.ts). Anything else (disk full) is retried.
      if (isCorruption(err)) this.o.onFatal?.(e);
      return;
    }
    const { ids, delta, counterUpdates, evicted } = res;
    this.totalRecords += delta.records;
    this.totalBytes += delta.bytes;
    this.counters.apply(counterUpdates);
    if (expireDue) this.nextExpiry = now + Math.min(1000, Math.max(1, this.o.maxAgeMs));
    items.forEach((p, i) => {
      // A record the policy evicted in its own commit was never buffered: the source must not ack it.
      if (evicted.has(ids[i]!)) {
        this.rejectedFull++;
        p.reject(new CausewayError('OUTBOX_FULL', 'outbox is full and this record has the lowest priority; it was evicted'));
      } else p.resolve();
    });
    if (ids.length > 0) {
      this.live.add(now, ids[0]!);
      this.o.onCommit?.();
    }
    if (this.counters.unreported() > 0 && now - this.lastReport >= this.o.reportIntervalMs) {
      try {
        this.report(now);
      } catch (err) {
        // The counters are durable; the report is retried at the next tick.
        this.log.error('outbox could not queue the eviction report', { err });
      }
    }
  }

  /** A wall-clock jump since the last commit (clock-jump.ts), rounded to ms; 0 if none. */
  private clockJump(now: number): number {
    const jump = this.clock.observe(now);
    if (jump === 0) return 0;
    this.log.warn('wall clock jumped; buffered records keep their remaining lifetime', { jumpMs: Math.round(jump) });
    this.live.shift(jump);
    this.nextExpiry = 0;
    return Math.round(jump);
  }

  /** Sends the eviction counters to the cloud as an event, durably, in one transaction. */
  private report(now: number): void {
    const { data, total } = evictionReport(this.counters);
    const topic = formatTopic({ kind: 'events', gateway: this.o.gateway, device: this.o.gateway, type: 'outbox-eviction' });
    const reported = new Map([['reported', total]]);
    this.db.transaction(() => {
      const old = dropUnsentReport(this.db, topic);
      this.totalRecords -= old.n;
      this.totalBytes -= old.b;
      this.insertOwnEvent('outbox-eviction', 'alarm', data);
      this.counters.write(reported);
    })();
    this.counters.apply(reported);
    this.lastReport = now;
    // One line per report (not per commit), so a long outage at the cap does not flood the journal.
    this.log.warn('outbox dropped records (evicted at the cap, expired or refused); reported to the cloud', { sinceLastReport: data.sinceLastReport, evicted: data.evicted, expired: data.expired, refused: data.refused });
    this.o.onCommit?.();
  }

  /** An event the agent reports about itself (device = gateway). Call inside a transaction. */
  private insertOwnEvent(event: string, prio: 'alarm' | 'telemetry', data: Record<string, unknown>): void {
    const now = this.o.now();
    const rec = ownEventRecord(this.o.gateway, event, prio, data, now);
    const bytes = recordBytes(rec);
    const id = insertRecord(this.db, { ...rec, bytes, created: now }, now + this.o.maxAgeMs);
    this.totalRecords++;
    this.totalBytes += bytes;
    this.live.add(now, id);
  }

  /**
   * Forms up to `n` new batches, live-first (see outbox-batches.ts). Their ids are on the rows,
   * durably, before this returns, so nothing is published under an id a crash could reassign.
   */
  formBatches(n: number, f: FormOptions): FormedBatch[] {
    if (this.closed || n <= 0) return [];
    // The direct path only while the file holds nothing unacknowledged: then no stored row of any stream
    // can be overtaken by a newer reading of it (per-stream order), and the backlog after an outage drains
    // the usual way.
    if (this.o.direct && this.holdsNothingUnacked(f.maxRecords)) return this.formDirect(n, f);
    if (this.totalRecords === 0) return [];
    const liveFrom = this.live.liveFrom(this.o.now(), f.liveWindowMs);
    return formNewBatches(this.db, this.epoch, liveFrom, n, f).map((b) => toFormedBatch(b, this.o.gateway));
  }

  /**
   * True when every stored row belongs to a batch already PUBACKed (deleted at the next commit). Without
   * this, one late PUBACK would keep the direct path off for good at a steady rate: the readings held back
   * meanwhile are committed at their deadline, in the same commit that deletes the acknowledged rows, and
   * hold it off again (bench edge-footprint, issue 16).
   */
  private holdsNothingUnacked(maxRecords: number): boolean {
    if (this.totalRecords === 0) return true;
    // (a backlog larger than the acknowledged batches could hold: no need to ask the file)
    if (this.pendingAcks.length === 0 || this.totalRecords > this.pendingAcks.length * Math.max(1, maxRecords)) return false;
    this.unackedRow ??= this.db.prepare('SELECT 1 FROM records WHERE batch_id IS NULL OR batch_id NOT IN (SELECT value FROM json_each(?)) LIMIT 1');
    return this.unackedRow.get(JSON.stringify(this.pendingAcks)) === undefined;
  }

  /** Direct batches from pending readings (pending-records.ts); wakes the uplink when a waiting stream is due. */
  private formDirect(n: number, f: FormOptions): FormedBatch[] {
    const now = performance.now();
    this.lastForm = { maxRecords: f.maxRecords, maxBytes: f.maxBytes };
    const { batches, wakeAt } = this.queue.form({ n, maxRecords: f.maxRecords, maxBytes: f.maxBytes, delayMs: f.delayMs ?? 0, now, epoch: this.epoch });
    if (wakeAt !== undefined && this.delayTimer === undefined) {
      this.delayTimer = setTimeout(() => {
        this.delayTimer = undefined;
        this.o.onCommit?.();
      }, Math.ceil(Math.max(0, wakeAt - now)));
    }
    return batches.map((b) => this.directFormed(b));
  }

  private directFormed(b: DirectBatch): FormedBatch {
    const first = b.items[0]!.row;
    return toFormedBatch({ id: b.id, kind: first.kind, topic: first.topic, device: first.device, stream: first.stream, priority: first.priority, rows: b.items.map(itemRow) }, this.o.gateway);
  }

  /**
   * A formed batch the broker refused (issue 23 item 5): split in two under new ids so the good half
   * goes through (see outbox-quarantine.ts). Returns the new ids; [] for a batch of one row.
   */
  splitBatch(batchId: string): string[] {
    if (this.closed) return [];
    if (this.queue.isDirect(batchId)) this.commit(true); // a refused direct batch is set aside from the file
    const ids = splitFormedBatch(this.db, this.epoch, batchId);
    if (ids.length > 0) this.log.warn('refused batch split in two', { batchId, into: ids });
    return ids;
  }

  /**
   * A refused batch that cannot be split: its rows move to the `quarantine` table, counted per
   * priority, and an `outbox-quarantine` event (ranked with alarms) tells the cloud what and why, in
   * the same transaction. The queue then moves on past it.
   */
  quarantineBatch(batchId: string, reason: string): QuarantineResult | undefined {
    if (this.closed) return undefined;
    if (this.queue.isDirect(batchId)) this.commit(true);
    const now = this.o.now();
    let res: QuarantineResult | undefined;
    const updates = new Map<string, number>();
    this.db.transaction(() => {
      res = quarantineFormedBatch(this.db, batchId, reason, now);
      if (res === undefined) return;
      res.byPriority.forEach((n, p) => {
        if (n > 0) updates.set(`quarantined.${p}`, this.counters.get(`quarantined.${p}`) + n);
      });
      this.counters.write(updates);
      this.totalRecords -= res.rows;
      this.totalBytes -= res.bytes;
      // seqs are the readings' ids at the cloud's contract level; a few name them, the count says how many
      this.insertOwnEvent('outbox-quarantine', 'alarm', { batchId, topic: res.topic, records: res.rows, bytes: res.bytes, seqs: res.ids.slice(0, 20), reason: reason.slice(0, 200) });
    })();
    if (res === undefined) return undefined;
    this.counters.apply(updates);
    this.log.error('batch refused by the broker moved to quarantine; reported to the cloud', { batchId, topic: res.topic, records: res.rows, bytes: res.bytes, reason });
    this.o.onCommit?.();
    return res;
  }

  /** Batches already formed (sent before a reconnect or a crash) that are not in `exclude`, oldest first. */
  formedBatches(exclude: ReadonlySet<string>, limit: number): FormedBatch[] {
    if (this.closed) return [];
    const stored = this.totalRecords === 0 ? [] : loadStoredBatches(this.db, (id) => exclude.has(id) || this.pendingAcks.includes(id), limit).map((b) => toFormedBatch(b, this.o.gateway));
    const direct = this.queue.formed(exclude).map((b) => this.directFormed(b));
    if (direct.length === 0) return stored;
    // Direct batches sent on a connection that closed go again, in id order with the stored ones.
    return [...stored, ...direct].sort((a, b) => a.priority - b.priority || a.rows[0]!.id - b.rows[0]!.id).slice(0, limit);
  }

  stats(): OutboxStats {
    const c = this.counters;
    return { records: this.totalRecords, bytes: this.totalBytes, evicted: c.byPriority('evicted'), expired: c.byPriority('expired'), quarantined: c.byPriority('quarantined'), rejectedFull: this.rejectedFull, directAcked: this.directAcked, pending: this.queue.size };
  }

  /** Creation time (ms) of the oldest record not yet acknowledged, or undefined when the outbox is empty. */
  oldestCreated(): number | undefined {
    if (this.closed) return undefined;
    // The smallest id is the oldest record (ids follow commit order); the primary key makes this one seek.
    const r = this.db.prepare('SELECT created FROM records ORDER BY id LIMIT 1').get() as { created: number } | undefined;
    return r?.created;
  }

  /** SQLite's quick_check of the file now: 'ok', or the first problems it lists (the `diagnose` command, issue 20). */
  integrityCheck(): string {
    if (this.closed) return 'closed';
    const rows = this.db.pragma('quick_check') as Array<{ quick_check: string }>;
    return rows.slice(0, 5).map((r) => r.quick_check).join('; ');
  }

  /** Commits what is pending and closes the file. */
  close(): void {
    if (this.closed) return;
    this.commit(true);
    this.closed = true;
    clearInterval(this.housekeeping);
    clearTimeout(this.delayTimer);
    clearTimeout(this.timer);
    this.db.close();
  }
}
