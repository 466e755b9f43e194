import type Database from 'better-sqlite3';
import type { RetentionPolicy } from '../contract.js';

export interface PruneResult {
  messages: number;
  bytes: number;
  /** ids removed (to evict from the cache) */
  ids: number[];
}

const statements = new WeakMap<Database.Database, ReturnType<typeof prepare>>();

function prepare(db: Database.Database) {
  db.exec('CREATE TEMP TABLE IF NOT EXISTS doomed (id INTEGER PRIMARY KEY)');
  return {
    clear: db.prepare('DELETE FROM doomed'),
    // Old or expired, unless it is the live retained message of its topic: retained messages stay
    // until replaced, cleared or expired [MQTT-3.3.1-5], [MQTT-3.3.2-5].
    byAge: db.prepare(
      `INSERT INTO doomed (id) SELECT id FROM messages
       WHERE (created_at < @cutoff OR expires_at <= @now)
         AND (expires_at <= @now OR id NOT IN (SELECT message_id FROM retained))`,
    ),
    oldest: db.prepare(
      `SELECT id, length(payload) AS n FROM messages
       WHERE id > ? AND id NOT IN (SELECT id FROM doomed) AND id NOT IN (SELECT message_id FROM retained)
       ORDER BY id LIMIT 500`,
    ),
    mark: db.prepare('INSERT INTO doomed (id) VALUES (?)'),
    totals: db.prepare('SELECT count(*) AS n, coalesce(sum(length(payload)), 0) AS b FROM messages WHERE id IN (SELECT id FROM doomed)'),
    ids: db.prepare('SELECT id FROM doomed').pluck(),
    delEntries: db.prepare('DELETE FROM queue_entries WHERE message_id IN (SELECT id FROM doomed)'),
    delDedupe: db.prepare('DELETE FROM dedupe WHERE message_id IN (SELECT id FROM doomed)'),
    delRetained: db.prepare('DELETE FROM retained WHERE message_id IN (SELECT id FROM doomed)'),
    delMessages: db.prepare('DELETE FROM messages WHERE id IN (SELECT id FROM doomed)'),
  };
}

/**
 * Applies a retention policy inside the caller's transaction: removes old, expired and (oldest first)
 * over-budget messages together with their queue entries and dedupe keys. Queues keep their next offset,
 * so readers simply find a gap (firstOffset moves forward) and offsets are never reused.
 */
export function pruneLog(db: Database.Database, policy: RetentionPolicy, now: number, heldBytes: number): PruneResult {
  let s = statements.get(db);
  if (s === undefined) {
    s = prepare(db);
    statements.set(db, s);
  }
  s.clear.run();
  const cutoff = policy.maxAgeMs > 0 ? now - policy.maxAgeMs : Number.MIN_SAFE_INTEGER;
  s.byAge.run({ cutoff, now });
  if (policy.maxBytes > 0) {
    let remaining = heldBytes - (s.totals.get() as { b: number }).b;
    let after = 0;
    // Bounded: every round marks up to 500 more ids past `after`, or stops.
    while (remaining > policy.maxBytes) {
      const rows = s.oldest.all(after) as { id: number; n: number }[];
      if (rows.length === 0) break;
      for (const r of rows) {
        if (remaining <= policy.maxBytes) break;
        s.mark.run(r.id);
        remaining -= r.n;
        after = r.id;
      }
    }
  }
  const totals = s.totals.get() as { n: number; b: number };
  if (totals.n === 0) return { messages: 0, bytes: 0, ids: [] };
  const ids = s.ids.all() as number[];
  s.delEntries.run();
  s.delDedupe.run();
  s.delRetained.run();
  s.delMessages.run();
  s.clear.run();
  return { messages: totals.n, bytes: totals.b, ids };
}
