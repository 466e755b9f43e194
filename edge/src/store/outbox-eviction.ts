import type Database from 'better-sqlite3';

/**
 * The eviction policy when the outbox is over `buffer.maxBytes` (issue 4): lowest priority first
 * (bulk, then telemetry, then alarm); within a priority, rows not yet put in a batch go first, oldest
 * first, and only then formed batches, whole batches at a time, oldest first, so a batch id never
 * names a partial set in the cloud. Every evicted row is counted per priority; the caller persists the
 * counters in the same transaction and reports them to the cloud as an `outbox-eviction` event.
 * Nothing is ever evicted silently.
 */
export interface EvictionResult {
  ids: number[];
  bytes: number;
  /** rows evicted per priority rank (0 alarm, 1 telemetry, 2 bulk) */
  byPriority: [number, number, number];
}

const CHUNK = 256;

export function evictBytes(db: Database.Database, excess: number): EvictionResult {
  const out: EvictionResult = { ids: [], bytes: 0, byPriority: [0, 0, 0] };
  if (excess <= 0) return out;
  const pickUnsent = db.prepare('SELECT id, bytes FROM records WHERE batch_id IS NULL AND priority = ? ORDER BY id LIMIT ?');
  const del = db.prepare('DELETE FROM records WHERE id = ?');
  const pickBatch = db.prepare(
    'SELECT batch_id AS b, min(id) AS m FROM records WHERE batch_id IS NOT NULL AND priority = ? GROUP BY batch_id ORDER BY m LIMIT 1',
  );
  const batchRows = db.prepare('SELECT id, bytes, priority FROM records WHERE batch_id = ?');
  const delBatch = db.prepare('DELETE FROM records WHERE batch_id = ?');
  for (let p = 2; p >= 0 && out.bytes < excess; p--) {
    for (;;) {
      const rows = pickUnsent.all(p, CHUNK) as Array<{ id: number; bytes: number }>;
      if (rows.length === 0) break;
      for (const r of rows) {
        del.run(r.id);
        out.ids.push(r.id);
        out.bytes += r.bytes;
        out.byPriority[p as 0 | 1 | 2]++;
        if (out.bytes >= excess) return out;
      }
    }
    while (out.bytes < excess) {
      const b = pickBatch.get(p) as { b: string } | undefined;
      if (b === undefined) break;
      for (const r of batchRows.all(b.b) as Array<{ id: number; bytes: number; priority: number }>) {
        out.ids.push(r.id);
        out.bytes += r.bytes;
        out.byPriority[r.priority as 0 | 1 | 2]++;
      }
      delBatch.run(b.b);
    }
  }
  return out;
}

/** Deletes rows past their expiry; counted per priority like evictions. */
export function expireRows(db: Database.Database, now: number): EvictionResult {
  const out: EvictionResult = { ids: [], bytes: 0, byPriority: [0, 0, 0] };
  const rows = db.prepare('SELECT id, bytes, priority FROM records WHERE expires <= ?').all(now) as Array<{ id: number; bytes: number; priority: number }>;
  if (rows.length === 0) return out;
  for (const r of rows) {
    out.ids.push(r.id);
    out.bytes += r.bytes;
    out.byPriority[r.priority as 0 | 1 | 2]++;
  }
  db.prepare('DELETE FROM records WHERE expires <= ?').run(now);
  return out;
}
