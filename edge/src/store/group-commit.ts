import type Database from 'better-sqlite3';
import { carriesOldClock } from './clock-jump.js';
import { evictBytes, expireRows, type EvictionResult } from './outbox-eviction.js';
import type { OutboxRow } from './outbox-batches.js';
import type { OutboxCounters } from './outbox-counters.js';

/** A record waiting for the next group commit. */
export interface PendingRecord {
  row: Omit<OutboxRow, 'id'>;
  expires: number;
  /** its reserved id (id-reservation.ts); without one the row takes the next AUTOINCREMENT id */
  id?: number;
  /** the direct batch it went out in before this commit (pending-records.ts): the row is written formed */
  batch?: string;
}

export interface GroupCommitInput {
  /** records added since the last commit, in order */
  items: PendingRecord[];
  /** batches acknowledged since the last commit: their rows go */
  acks: readonly string[];
  now: number;
  /** a wall-clock jump to shift stored rows by (clock-jump.ts); 0 if none */
  jump: number;
  expireDue: boolean;
  /** buffer bytes before this commit, and the cap (buffer.maxBytes) */
  totalBytes: number;
  maxBytes: number;
}

export interface GroupCommitResult {
  /** the row id of each item, in order */
  ids: number[];
  delta: { records: number; bytes: number };
  /** counters written in the transaction; apply them to memory once it committed */
  counterUpdates: Map<string, number>;
  /** row ids the cap evicted in this commit (an item among them was never buffered) */
  evicted: Set<number>;
}

const COLUMNS = '(id, kind, topic, device, stream, body, bytes, priority, created, expires, batch_id, attempts)';
const ROW = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const INSERT = `INSERT INTO records ${COLUMNS} VALUES ${ROW}`;
/** parameters per row of the INSERT */
const PARAMS = 12;
/**
 * Rows per multi-row INSERT in a group commit: one statement step (and one call into the addon) per this
 * many rows instead of one per row. 8, not more: with 32 rows a statement SQLite's page splits left the
 * b-trees emptier and the same readings wrote 14 % more bytes to the WAL (605 → 688 per row in a
 * better-sqlite3 micro-benchmark of the outbox schema; 607 at 8, 610 at 16, 789 at 500), while the CPU
 * per row was the same from 8 up (about 5.4 µs against 6.9 µs one by one) (bench outbox-ingest, issue 16).
 */
export const INSERT_CHUNK = 8;

/** The statements of a group commit, prepared once per database: preparing the INSERT per record cost 40 % of durable ingest (bench outbox-ingest). */
interface Statements {
  one: Database.Statement;
  chunk: Database.Statement;
  sumBatch: Database.Statement;
  delBatch: Database.Statement;
  /** the chunk's parameters, reused from commit to commit */
  params: unknown[];
}

const statements = new WeakMap<Database.Database, Statements>();

function prepared(db: Database.Database): Statements {
  let s = statements.get(db);
  if (s === undefined) {
    s = {
      one: db.prepare(INSERT),
      chunk: db.prepare(`INSERT INTO records ${COLUMNS} VALUES ${Array<string>(INSERT_CHUNK).fill(ROW).join(', ')}`),
      sumBatch: db.prepare('SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM records WHERE batch_id = ?'),
      delBatch: db.prepare('DELETE FROM records WHERE batch_id = ?'),
      params: new Array<unknown>(INSERT_CHUNK * PARAMS),
    };
    statements.set(db, s);
  }
  return s;
}

/**
 * Inserts one record; call inside a transaction. Returns its row id: `id` when given (reserved ahead,
 * id-reservation.ts), else the next AUTOINCREMENT id. With `batch` the row is stored already formed into
 * that batch (it went out on the direct path and awaits its PUBACK), one attempt made.
 */
export function insertRecord(db: Database.Database, r: Omit<OutboxRow, 'id'>, expires: number, id?: number, batch?: string): number {
  return Number(prepared(db).one.run(id ?? null, r.kind, r.topic, r.device, r.stream, r.body, r.bytes, r.priority, r.created, expires, batch ?? null, batch === undefined ? 0 : 1).lastInsertRowid);
}

/**
 * Inserts the pending records in order; call inside a transaction. Returns their row ids. Runs of
 * INSERT_CHUNK records with reserved ids go in one multi-row INSERT each (their ids are known, so no
 * lastInsertRowid is needed); the rest one by one.
 */
export function insertRecords(db: Database.Database, items: readonly PendingRecord[]): number[] {
  const s = prepared(db);
  const ids = new Array<number>(items.length);
  const params = s.params;
  let i = 0;
  while (i < items.length) {
    let run = 0;
    while (run < INSERT_CHUNK && i + run < items.length && items[i + run]!.id !== undefined) run++;
    if (run < INSERT_CHUNK) {
      const p = items[i]!;
      ids[i] = insertRecord(db, p.row, p.expires, p.id, p.batch);
      i++;
      continue;
    }
    for (let k = 0, o = 0; k < INSERT_CHUNK; k++, o += PARAMS) {
      const p = items[i + k]!;
      const r = p.row;
      params[o] = p.id;
      params[o + 1] = r.kind;
      params[o + 2] = r.topic;
      params[o + 3] = r.device;
      params[o + 4] = r.stream;
      params[o + 5] = r.body;
      params[o + 6] = r.bytes;
      params[o + 7] = r.priority;
      params[o + 8] = r.created;
      params[o + 9] = p.expires;
      params[o + 10] = p.batch ?? null;
      params[o + 11] = p.batch === undefined ? 0 : 1;
      ids[i + k] = p.id!;
    }
    s.chunk.run(params);
    i += INSERT_CHUNK;
  }
  // no references to bodies kept past the commit
  params.fill(null);
  return ids;
}

/**
 * One group commit, in ONE transaction: delete acknowledged batches, shift rows by a clock jump, insert
 * the pending records, expire, evict down to the cap, persist the counters. The adds' promises resolve
 * only after this returns (the COMMIT is durable): nothing acknowledged is lost. Throws if the
 * transaction failed; nothing of it was written then. Mutates `items` only to shift their clock.
 */
export function commitGroup(db: Database.Database, counters: OutboxCounters, c: GroupCommitInput): GroupCommitResult {
  let ids: number[] = [];
  const delta = { records: 0, bytes: 0 };
  const counterUpdates = new Map<string, number>();
  let evicted: EvictionResult | undefined;
  db.transaction(() => {
    const { sumBatch, delBatch } = prepared(db);
    for (const b of c.acks) {
      const s = sumBatch.get(b) as { n: number; b: number };
      delBatch.run(b);
      delta.records -= s.n;
      delta.bytes -= s.b;
    }
    if (c.jump !== 0) {
      db.prepare('UPDATE records SET created = created + ?, expires = expires + ?').run(c.jump, c.jump);
      // adds queued before the jump carry the old clock; those queued after it, the new one
      for (const p of c.items) {
        if (carriesOldClock(p.row.created, c.now, c.jump)) {
          p.row.created += c.jump;
          p.expires += c.jump;
        }
      }
    }
    ids = insertRecords(db, c.items);
    for (const p of c.items) delta.bytes += p.row.bytes;
    delta.records += c.items.length;
    const count = (kind: string, res: EvictionResult): void => {
      res.byPriority.forEach((n, p) => n > 0 && counterUpdates.set(`${kind}.${p}`, (counterUpdates.get(`${kind}.${p}`) ?? counters.get(`${kind}.${p}`)) + n));
      delta.records -= res.ids.length;
      delta.bytes -= res.bytes;
    };
    if (c.expireDue) count('expired', expireRows(db, c.now));
    const excess = c.totalBytes + delta.bytes - c.maxBytes;
    if (excess > 0) {
      evicted = evictBytes(db, excess);
      // A record evicted by its own commit was never buffered as far as its source knows (its add
      // is rejected with OUTBOX_FULL, so it is not acknowledged): it is counted as refused, not
      // evicted, so that the evicted counter is exactly what was acknowledged and then dropped.
      const goneNow = new Set(evicted.ids);
      const refused: EvictionResult = { ids: [], bytes: 0, byPriority: [0, 0, 0] };
      c.items.forEach((p, i) => {
        if (goneNow.has(ids[i]!)) {
          refused.byPriority[p.row.priority as 0 | 1 | 2]++;
          evicted!.byPriority[p.row.priority as 0 | 1 | 2]--;
        }
      });
      count('evicted', evicted);
      count('refused', { ...refused, ids: [] });
    }
    counters.write(counterUpdates);
  })();
  return { ids, delta, counterUpdates, evicted: new Set(evicted?.ids ?? []) };
}
