import type Database from 'better-sqlite3';
import { CausewayError, silentLogger, type Logger, formatTopic, type CommandResultEnvelope, type ConfigReportedEnvelope } from '@causeway/shared';
import type { EventInput, ReadingInput, UplinkSink } from '../ingest/sink.js';
import { DEFAULT_MAX_READING_BYTES, isOversized, readingSize } from '../ingest/reading-size.js';
import { formNewBatches, loadFormedBatches, type FormedBatch, type FormOptions, type OutboxRow } from './outbox-batches.js';
import { evictBytes, expireRows, type EvictionResult } from './outbox-eviction.js';
import { quarantineFormedBatch, splitFormedBatch, type QuarantineResult } from './outbox-quarantine.js';
import { isCorruption, openOutboxDb, type Quarantine } from './open-outbox-db.js';
import type { ResultSink } from '../commands/contract.js';
import { checkEvent, checkQueuedEnvelope, checkReading, encodeEnvelopeBody, encodeEventBody, encodeReadingBody, PRIORITY_NAMES, PRIORITY_RANK } from './record-codec.js';

export interface OutboxOptions {
  path: string;
  gateway: string;
  maxBytes: number;
  maxAgeMs: number;
  /** group commit: longest wait between an add and its commit (default 50 ms) */
  commitIntervalMs?: number;
  /** group commit: commit at once at this many pending records (default 500) */
  commitMaxRecords?: number;
  /** ingest.maxReadingBytes, the backstop behind every ingest path: larger readings are refused (default 8 KiB; 0: none) */
  maxReadingBytes?: number;
  /** at most one eviction report event per this interval (default 1000 ms) */
  reportIntervalMs?: number;
  now?: () => number;
  /** a monotonic clock in ms (default performance.now), to tell a wall-clock jump from elapsed time */
  mono?: () => number;
  logger?: Logger;
  /** called after every commit that added rows (the uplink wakes up) */
  onCommit?: () => void;
  /** the file is corrupt at run time; the agent should exit so the start-up check quarantines it */
  onFatal?: (err: CausewayError) => void;
}

export type { FormedBatch, FormOptions, OutboxRow, RecordKind } from './outbox-batches.js';

export interface OutboxStats {
  records: number;
  bytes: number;
  evicted: Record<'alarm' | 'telemetry' | 'bulk', number>;
  expired: Record<'alarm' | 'telemetry' | 'bulk', number>;
  /** records the broker refused, moved to the quarantine table (issue 23 item 5) */
  quarantined: Record<'alarm' | 'telemetry' | 'bulk', number>;
  rejectedFull: number;
}

/** Per-record overhead counted against maxBytes on top of body and topic (row header, index entries). */
const ROW_OVERHEAD = 48;
/** Commits remembered for live-first ordering. */
const MAX_RECENT = 4096;
/** A wall-clock step larger than this (beyond elapsed monotonic time) is a clock jump, not drift. */
const CLOCK_JUMP_MS = 60_000;

interface Pending {
  row: Omit<OutboxRow, 'id'>;
  expires: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

/**
 * The store-and-forward buffer: a SQLite file that survives power cuts. Implements the ingest side's
 * UplinkSink (and the command side's ResultSink): adds are group-committed and their promises resolve
 * after the COMMIT.
 */
export class SqliteOutbox implements UplinkSink, ResultSink {
  readonly epoch: string;
  readonly quarantine: Quarantine | undefined;
  private readonly db: Database.Database;
  private readonly o: Required<Omit<OutboxOptions, 'logger' | 'onCommit' | 'onFatal'>> & Pick<OutboxOptions, 'onCommit' | 'onFatal'>;
  private readonly log: Logger;
  private pending: Pending[] = [];
  private pendingAcks: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly housekeeping: NodeJS.Timeout;
  private totalBytes: number;
  private totalRecords: number;
  private readonly counters = new Map<string, number>();
  private lastReport = 0;
  private nextExpiry = 0;
  private lastWall: number | undefined;
  private lastMono = 0;
  private closed = false;
  private rejectedFull = 0;
  /** first id of each recent commit, for live-first ordering */
  private recent: Array<{ at: number; firstId: number }> = [];

  static open(opts: OutboxOptions): SqliteOutbox {
    return new SqliteOutbox(opts);
  }

  private constructor(opts: OutboxOptions) {
    this.o = { commitIntervalMs: 50, commitMaxRecords: 500, reportIntervalMs: 1000, maxReadingBytes: DEFAULT_MAX_READING_BYTES, now: Date.now, mono: () => performance.now(), ...opts };
    this.log = opts.logger ?? silentLogger;
    const { db, quarantine } = openOutboxDb(opts.path, this.o.now);
    this.db = db;
    this.quarantine = quarantine;
    this.epoch = (db.prepare("SELECT value FROM meta WHERE key = 'epoch'").get() as { value: string }).value;
    const agg = db.prepare('SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM records').get() as { n: number; b: number };
    this.totalRecords = agg.n;
    this.totalBytes = agg.b;
    for (const r of db.prepare('SELECT name, value FROM counters').all() as Array<{ name: string; value: number }>) this.counters.set(r.name, r.value);
    if (quarantine) {
      this.log.error('outbox file was damaged; moved aside and started fresh', { movedTo: quarantine.movedTo, reason: quarantine.reason });
      this.db.transaction(() => this.insertOwnEvent('outbox-corrupt', 'alarm', { movedTo: quarantine.movedTo, reason: quarantine.reason.slice(0, 200), epoch: this.epoch }))();
    }
    this.housekeeping = setInterval(() => this.commit(), Math.min(1000, this.o.reportIntervalMs));
    this.housekeeping.unref();
  }

  addReading(reading: ReadingInput): Promise<void> {
    return this.enqueue(() => {
      checkReading(reading);
      if (isOversized(reading, this.o.maxReadingBytes)) {
        throw new CausewayError('INPUT_TOO_LARGE', `reading of ${readingSize(reading)} bytes exceeds ingest.maxReadingBytes ${this.o.maxReadingBytes}`);
      }
      const topic = formatTopic({ kind: 'telemetry', gateway: this.o.gateway, device: reading.device, stream: reading.stream });
      return { kind: 'reading', topic, device: reading.device, stream: reading.stream, body: encodeReadingBody(reading), priority: PRIORITY_RANK[reading.priority ?? 'telemetry'] };
    });
  }

  addEvent(event: EventInput): Promise<void> {
    return this.enqueue(() => {
      checkEvent(event);
      const topic = formatTopic({ kind: 'events', gateway: this.o.gateway, device: event.device, type: event.event });
      const prio = event.priority ?? (event.severity === 'alarm' || event.severity === 'critical' ? 'alarm' : 'telemetry');
      return { kind: 'event', topic, device: event.device, stream: event.event, body: encodeEventBody(event), priority: PRIORITY_RANK[prio] };
    });
  }

  /** A command result, sent on cmd-result/{gw}/{device}/{commandId}; resolves once durably queued. */
  sendResult(result: CommandResultEnvelope): Promise<void> {
    return this.enqueue(() => {
      checkQueuedEnvelope(result, 'command-result');
      const topic = formatTopic({ kind: 'cmd-result', gateway: this.o.gateway, device: result.device, commandId: result.commandId });
      // Results are few, small and awaited by an operator: they rank with alarms.
      return { kind: 'envelope', topic, device: result.device, stream: result.type, body: encodeEnvelopeBody(result), priority: PRIORITY_RANK.alarm };
    });
  }

  /** A config report, sent on config-reported/{gw}; resolves once durably queued. */
  sendConfigReport(report: ConfigReportedEnvelope): Promise<void> {
    return this.enqueue(() => {
      checkQueuedEnvelope(report, 'config-reported');
      const topic = formatTopic({ kind: 'config-reported', gateway: this.o.gateway });
      return { kind: 'envelope', topic, device: this.o.gateway, stream: report.type, body: encodeEnvelopeBody(report), priority: PRIORITY_RANK.alarm };
    });
  }

  private enqueue(build: () => Pick<OutboxRow, 'kind' | 'topic' | 'device' | 'stream' | 'body' | 'priority'>): Promise<void> {
    if (this.closed) return Promise.reject(new CausewayError('OUTBOX_CLOSED', 'the outbox is closed'));
    let partial;
    try {
      partial = build();
    } catch (err) {
      return Promise.reject(err);
    }
    const created = this.o.now();
    const bytes = partial.body.length + partial.topic.length + ROW_OVERHEAD;
    if (bytes > this.o.maxBytes) return Promise.reject(new CausewayError('OUTBOX_FULL', `record of ${bytes} bytes exceeds buffer.maxBytes ${this.o.maxBytes}`));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ row: { ...partial, created, bytes }, expires: created + this.o.maxAgeMs, resolve, reject });
      if (this.pending.length >= this.o.commitMaxRecords) this.commit();
      else this.timer ??= setTimeout(() => this.commit(), this.o.commitIntervalMs);
    });
  }

  /** Marks a batch delivered (PUBACK received); its rows are deleted at the next commit. */
  ack(batchId: string): void {
    if (this.closed) return;
    this.pendingAcks.push(batchId);
    this.timer ??= setTimeout(() => this.commit(), this.o.commitIntervalMs);
  }

  /** Commits everything pending now (SIGTERM drain, tests). */
  flush(): void {
    this.commit();
  }

  private commit(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed) return;
    const items = this.pending;
    const acks = this.pendingAcks;
    const now = this.o.now();
    const jump = this.clockJump(now);
    const expireDue = now >= this.nextExpiry;
    const reportDue = now - this.lastReport >= this.o.reportIntervalMs && this.unreported() > 0;
    if (items.length === 0 && acks.length === 0 && !expireDue && !reportDue && jump === 0) return;
    this.pending = [];
    this.pendingAcks = [];
    const ids: number[] = [];
    const delta = { records: 0, bytes: 0 };
    const counterUpdates = new Map<string, number>();
    let evicted: EvictionResult | undefined;
    try {
      this.db.transaction(() => {
        const sumBatch = this.db.prepare('SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM records WHERE batch_id = ?');
        const delBatch = this.db.prepare('DELETE FROM records WHERE batch_id = ?');
        for (const b of acks) {
          const s = sumBatch.get(b) as { n: number; b: number };
          delBatch.run(b);
          delta.records -= s.n;
          delta.bytes -= s.b;
        }
        if (jump !== 0) {
          this.db.prepare('UPDATE records SET created = created + ?, expires = expires + ?').run(jump, jump);
          // adds queued before the jump carry the old clock; those queued after it, the new one
          for (const p of items) {
            if (Math.abs(now - p.row.created) > Math.abs(jump) / 2) {
              p.row.created += jump;
              p.expires += jump;
            }
          }
        }
        const ins = this.db.prepare('INSERT INTO records (kind, topic, device, stream, body, bytes, priority, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
        for (const p of items) {
          const r = p.row;
          ids.push(Number(ins.run(r.kind, r.topic, r.device, r.stream, r.body, r.bytes, r.priority, r.created, p.expires).lastInsertRowid));
          delta.records++;
          delta.bytes += r.bytes;
        }
        const count = (kind: string, res: EvictionResult): void => {
          res.byPriority.forEach((n, p) => n > 0 && counterUpdates.set(`${kind}.${p}`, (counterUpdates.get(`${kind}.${p}`) ?? this.counters.get(`${kind}.${p}`) ?? 0) + n));
          delta.records -= res.ids.length;
          delta.bytes -= res.bytes;
        };
        if (expireDue) count('expired', expireRows(this.db, now));
        const excess = this.totalBytes + delta.bytes - this.o.maxBytes;
        if (excess > 0) {
          evicted = evictBytes(this.db, excess);
          // A record evicted by its own commit was never buffered as far as its source knows (its add
          // is rejected with OUTBOX_FULL, so it is not acknowledged): it is counted as refused, not
          // evicted, so that the evicted counter is exactly what was acknowledged and then dropped.
          const goneNow = new Set(evicted.ids);
          const refused: EvictionResult = { ids: [], bytes: 0, byPriority: [0, 0, 0] };
          items.forEach((p, i) => {
            if (goneNow.has(ids[i]!)) {
              refused.byPriority[p.row.priority as 0 | 1 | 2]++;
              evicted!.byPriority[p.row.priority as 0 | 1 | 2]--;
            }
          });
          count('evicted', evicted);
          count('refused', { ...refused, ids: [] });
        }
        const up = this.db.prepare('INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value');
        for (const [k, v] of counterUpdates) up.run(k, v);
      })();
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
    this.totalRecords += delta.records;
    this.totalBytes += delta.bytes;
    for (const [k, v] of counterUpdates) this.counters.set(k, v);
    if (expireDue) this.nextExpiry = now + Math.min(1000, Math.max(1, this.o.maxAgeMs));
    const gone = new Set(evicted?.ids ?? []);
    items.forEach((p, i) => {
      // A record the policy evicted in its own commit was never buffered: the source must not ack it.
      if (gone.has(ids[i]!)) {
        this.rejectedFull++;
        p.reject(new CausewayError('OUTBOX_FULL', 'outbox is full and this record has the lowest priority; it was evicted'));
      } else p.resolve();
    });
    if (ids.length > 0) {
      this.recent.push({ at: now, firstId: ids[0]! });
      // Offline for hours, nothing forms batches to prune this; the oldest entries only make the live
      // window shorter, so dropping them is safe.
      if (this.recent.length > MAX_RECENT) this.recent.splice(0, this.recent.length - MAX_RECENT);
      this.o.onCommit?.();
    }
    if (this.unreported() > 0 && now - this.lastReport >= this.o.reportIntervalMs) {
      try {
        this.report(now);
      } catch (err) {
        // The counters are durable; the report is retried at the next tick.
        this.log.error('outbox could not queue the eviction report', { err });
      }
    }
  }

  /**
   * How far the wall clock jumped since the last commit beyond the time that really passed (0 if
   * less than a minute). A Raspberry Pi has no RTC: it boots in 1970 and NTP later moves it decades
   * forward, which would expire every buffered row at once. Shifting `created`/`expires` by the jump
   * keeps the TTL a duration. (A jump while the agent is not running cannot be seen this way.)
   */
  private clockJump(now: number): number {
    const mono = this.o.mono();
    const prev = this.lastWall;
    const jump = prev === undefined ? 0 : now - prev - (mono - this.lastMono);
    this.lastWall = now;
    this.lastMono = mono;
    if (Math.abs(jump) < CLOCK_JUMP_MS) return 0;
    this.log.warn('wall clock jumped; buffered records keep their remaining lifetime', { jumpMs: Math.round(jump) });
    for (const r of this.recent) r.at += jump;
    this.nextExpiry = 0;
    return Math.round(jump);
  }

  private unreported(): number {
    let total = 0;
    for (const k of ['evicted', 'expired', 'refused']) for (let p = 0; p < 3; p++) total += this.counters.get(`${k}.${p}`) ?? 0;
    return total - (this.counters.get('reported') ?? 0);
  }

  /** Sends the eviction counters to the cloud as an event, durably, in one transaction. */
  private report(now: number): void {
    const byName = (kind: string): Record<string, number> => Object.fromEntries(PRIORITY_NAMES.map((n, p) => [n, this.counters.get(`${kind}.${p}`) ?? 0]));
    const since = this.unreported();
    const total = (this.counters.get('reported') ?? 0) + since;
    const data = { policy: 'lowest priority first; unsent oldest first, then whole formed batches', evicted: byName('evicted'), expired: byName('expired'), refused: byName('refused'), sinceLastReport: since, total };
    const topic = formatTopic({ kind: 'events', gateway: this.o.gateway, device: this.o.gateway, type: 'outbox-eviction' });
    this.db.transaction(() => {
      // The counters are cumulative, so a newer report supersedes an unsent older one: at most one
      // report waits in the buffer, however long the outage (it cannot crowd out readings).
      const old = this.db.prepare('SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM records WHERE batch_id IS NULL AND topic = ?').get(topic) as { n: number; b: number };
      this.db.prepare('DELETE FROM records WHERE batch_id IS NULL AND topic = ?').run(topic);
      this.totalRecords -= old.n;
      this.totalBytes -= old.b;
      this.insertOwnEvent('outbox-eviction', 'alarm', data);
      this.db.prepare('INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value').run('reported', total);
    })();
    this.counters.set('reported', total);
    this.lastReport = now;
    // One line per report (not per commit), so a long outage at the cap does not flood the journal.
    this.log.warn('outbox dropped records (evicted at the cap, expired or refused); reported to the cloud', { sinceLastReport: since, evicted: data.evicted, expired: data.expired, refused: data.refused });
    this.o.onCommit?.();
  }

  /** An event the agent reports about itself (device = gateway). Call inside a transaction. */
  private insertOwnEvent(event: string, prio: 'alarm' | 'telemetry', data: Record<string, unknown>): void {
    const gw = this.o.gateway;
    const now = this.o.now();
    const topic = formatTopic({ kind: 'events', gateway: gw, device: gw, type: event });
    const body = encodeEventBody({ device: gw, event, severity: 'warning', ts: now, data });
    const bytes = body.length + topic.length + ROW_OVERHEAD;
    const info = this.db
      .prepare('INSERT INTO records (kind, topic, device, stream, body, bytes, priority, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run('event', topic, gw, event, body, bytes, PRIORITY_RANK[prio], now, now + this.o.maxAgeMs);
    this.totalRecords++;
    this.totalBytes += bytes;
    this.recent.push({ at: now, firstId: Number(info.lastInsertRowid) });
  }

  /**
   * Forms up to `n` new batches, live-first (see outbox-batches.ts). Their ids are on the rows,
   * durably, before this returns, so nothing is published under an id a crash could reassign.
   */
  formBatches(n: number, f: FormOptions): FormedBatch[] {
    if (this.closed || n <= 0) return [];
    const now = this.o.now();
    while (this.recent.length > 0 && this.recent[0]!.at < now - f.liveWindowMs) this.recent.shift();
    const liveFrom = this.recent[0]?.firstId ?? Number.MAX_SAFE_INTEGER;
    return formNewBatches(this.db, this.epoch, liveFrom, n, f);
  }

  /**
   * A formed batch the broker refused (issue 23 item 5): split in two under new ids so the good half
   * goes through (see outbox-quarantine.ts). Returns the new ids; [] for a batch of one row.
   */
  splitBatch(batchId: string): string[] {
    if (this.closed) return [];
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
    const now = this.o.now();
    let res: QuarantineResult | undefined;
    const updates = new Map<string, number>();
    this.db.transaction(() => {
      res = quarantineFormedBatch(this.db, batchId, reason, now);
      if (res === undefined) return;
      const up = this.db.prepare('INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value');
      res.byPriority.forEach((n, p) => {
        if (n === 0) return;
        const v = (this.counters.get(`quarantined.${p}`) ?? 0) + n;
        updates.set(`quarantined.${p}`, v);
        up.run(`quarantined.${p}`, v);
      });
      this.totalRecords -= res.rows;
      this.totalBytes -= res.bytes;
      // seqs are the readings' ids at the cloud's contract level; a few name them, the count says how many
      this.insertOwnEvent('outbox-quarantine', 'alarm', { batchId, topic: res.topic, records: res.rows, bytes: res.bytes, seqs: res.ids.slice(0, 20), reason: reason.slice(0, 200) });
    })();
    if (res === undefined) return undefined;
    for (const [k, v] of updates) this.counters.set(k, v);
    this.log.error('batch refused by the broker moved to quarantine; reported to the cloud', { batchId, topic: res.topic, records: res.rows, bytes: res.bytes, reason });
    this.o.onCommit?.();
    return res;
  }

  /** Batches already formed (sent before a reconnect or a crash) that are not in `exclude`, oldest first. */
  formedBatches(exclude: ReadonlySet<string>, limit: number): FormedBatch[] {
    if (this.closed) return [];
    return loadFormedBatches(this.db, (id) => exclude.has(id) || this.pendingAcks.includes(id), limit);
  }

  stats(): OutboxStats {
    const byName = (kind: string): Record<'alarm' | 'telemetry' | 'bulk', number> => ({
      alarm: this.counters.get(`${kind}.0`) ?? 0,
      telemetry: this.counters.get(`${kind}.1`) ?? 0,
      bulk: this.counters.get(`${kind}.2`) ?? 0,
    });
    return { records: this.totalRecords, bytes: this.totalBytes, evicted: byName('evicted'), expired: byName('expired'), quarantined: byName('quarantined'), rejectedFull: this.rejectedFull };
  }

  /** Creation time (ms) of the oldest record not yet acknowledged, or undefined when the outbox is empty. */
  oldestCreated(): number | undefined {
    if (this.closed) return undefined;
    // The smallest id is the oldest record (ids follow commit order); the primary key makes this one seek.
    const r = this.db.prepare('SELECT created FROM records ORDER BY id LIMIT 1').get() as { created: number } | undefined;
    return r?.created;
  }

  /** Commits what is pending and closes the file. */
  close(): void {
    if (this.closed) return;
    this.commit();
    this.closed = true;
    clearInterval(this.housekeeping);
    this.db.close();
  }
}
