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

const INSERT = 'INSERT INTO records (id, kind, topic, device, stream, body, bytes, priority, created, expires, batch_id, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

/** The INSERT prepared once per database: preparing it per record cost 40 % of durable ingest (bench outbox-ingest). */
const inserts = new WeakMap<Database.Database, Database.Statement>();

/**
 * Inserts one record; call inside a transaction. Returns its row id: `id` when given (reserved ahead,
 * id-reservation.ts), else the next AUTOINCREMENT id. With `batch` the row is stored already formed into
 * that batch (it went out on the direct path and awaits its PUBACK), one attempt made.
 */
export function insertRecord(db: Database.Database, r: Omit<OutboxRow, 'id'>, expires: number, id?: number, batch?: string): number {
  let ins = inserts.get(db);
  if (ins === undefined) {
    ins = db.prepare(INSERT);
    inserts.set(db, ins);
  }
  return Number(ins.run(id ?? null, r.kind, r.topic, r.device, r.stream, r.body, r.bytes, r.priority, r.created, expires, batch ?? null, batch === undefined ? 0 : 1).lastInsertRowid);
}

/**
 * One group commit, in ONE transaction: delete acknowledged batches, shift rows by a clock jump, insert
 * the pending records, expire, evict down to the cap, persist the counters. The adds' promises resolve
 * only after this returns (the COMMIT is durable): nothing acknowledged is lost. Throws if the
 * transaction failed; nothing of it was written then. Mutates `items` only to shift their clock.
 */
export function commitGroup(db: Database.Database, counters: OutboxCounters, c: GroupCommitInput): GroupCommitResult {
  const ids: number[] = [];
  const delta = { records: 0, bytes: 0 };
  const counterUpdates = new Map<string, number>();
  let evicted: EvictionResult | undefined;
  db.transaction(() => {
    const sumBatch = db.prepare('SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM records WHERE batch_id = ?');
    const delBatch = db.prepare('DELETE FROM records WHERE batch_id = ?');
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
    for (const p of c.items) {
      ids.push(insertRecord(db, p.row, p.expires, p.id, p.batch));
      delta.records++;
      delta.bytes += p.row.bytes;
    }
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
