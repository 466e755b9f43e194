import type Database from 'better-sqlite3';

/**
 * Issue 23 item 5: what the outbox does with a formed batch the broker will not take, so one bad
 * batch cannot hold up every reading behind it. A batch of several rows is first split in two (the
 * bad reading is in one half, the other half goes through); a batch of one row is moved to the
 * `quarantine` table. The caller counts it and reports it to the cloud.
 */

/** Quarantined rows kept for inspection at most; the oldest go first past it (the disk stays bounded). */
export const QUARANTINE_KEEP_ROWS = 10_000;

export interface QuarantineResult {
  batchId: string;
  topic: string;
  rows: number;
  bytes: number;
  /** row ids (the readings' seq) */
  ids: number[];
  byPriority: [number, number, number];
}

/**
 * Splits a formed batch in two halves by row order, each under a new id `${epoch}-${first}-${last}`.
 * New ids, never the old one: the cloud drops a batch id it has seen, and a half must not be taken
 * for the whole. The three-part form cannot collide with a normal id (`${epoch}-${first}`), and two
 * splits never name the same row range. Returns the new ids, or [] when the batch has fewer than two
 * rows (or is gone).
 */
export function splitFormedBatch(db: Database.Database, epoch: string, batchId: string): string[] {
  const ids = (db.prepare('SELECT id FROM records WHERE batch_id = ? ORDER BY id').all(batchId) as Array<{ id: number }>).map((r) => r.id);
  if (ids.length < 2) return [];
  const mid = Math.ceil(ids.length / 2);
  const halves = [ids.slice(0, mid), ids.slice(mid)];
  const set = db.prepare('UPDATE records SET batch_id = ? WHERE batch_id = ? AND id BETWEEN ? AND ?');
  const out: string[] = [];
  db.transaction(() => {
    for (const h of halves) {
      const id = `${epoch}-${h[0]!}-${h.at(-1)!}`;
      set.run(id, batchId, h[0]!, h.at(-1)!);
      out.push(id);
    }
  })();
  return out;
}

/** Moves a formed batch's rows to `quarantine` with the reason; undefined if the batch is gone. */
export function quarantineFormedBatch(db: Database.Database, batchId: string, reason: string, now: number): QuarantineResult | undefined {
  const rows = db.prepare('SELECT id, topic, bytes, priority FROM records WHERE batch_id = ? ORDER BY id').all(batchId) as Array<{ id: number; topic: string; bytes: number; priority: number }>;
  if (rows.length === 0) return undefined;
  const out: QuarantineResult = { batchId, topic: rows[0]!.topic, rows: rows.length, bytes: 0, ids: [], byPriority: [0, 0, 0] };
  for (const r of rows) {
    out.bytes += r.bytes;
    out.ids.push(r.id);
    out.byPriority[r.priority as 0 | 1 | 2]++;
  }
  db.transaction(() => {
    db.prepare(
      `INSERT OR REPLACE INTO quarantine (id, batch_id, kind, topic, device, stream, body, bytes, priority, created, quarantined, reason)
       SELECT id, batch_id, kind, topic, device, stream, body, bytes, priority, created, ?, ? FROM records WHERE batch_id = ?`,
    ).run(now, reason, batchId);
    db.prepare('DELETE FROM records WHERE batch_id = ?').run(batchId);
    db.prepare('DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine ORDER BY quarantined DESC, id DESC LIMIT -1 OFFSET ?)').run(QUARANTINE_KEEP_ROWS);
  })();
  return out;
}
