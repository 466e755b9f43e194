import type Database from 'better-sqlite3';
import type { OutboxCounters, PriorityCounts } from './outbox-counters.js';

/**
 * The `outbox-eviction` event (issue 4): what the outbox dropped, evicted at the cap, expired or
 * refused, per priority, cumulative. Nothing is dropped silently: the counters are durable and the
 * report is retried until it is queued.
 */
export interface EvictionReport {
  data: { policy: string; evicted: PriorityCounts; expired: PriorityCounts; refused: PriorityCounts; sinceLastReport: number; total: number };
  /** the new value of the `reported` counter once this report is queued */
  total: number;
}

export const EVICTION_POLICY = 'lowest priority first; unsent oldest first, then whole formed batches';

export function evictionReport(counters: OutboxCounters): EvictionReport {
  const since = counters.unreported();
  const total = counters.get('reported') + since;
  return { data: { policy: EVICTION_POLICY, evicted: counters.byPriority('evicted'), expired: counters.byPriority('expired'), refused: counters.byPriority('refused'), sinceLastReport: since, total }, total };
}

/**
 * Deletes an unsent older report on `topic`: the counters are cumulative, so a newer report supersedes
 * it, and at most one report waits in the buffer however long the outage (it cannot crowd out
 * readings). Call inside the transaction that queues the new one; returns what was removed.
 */
export function dropUnsentReport(db: Database.Database, topic: string): { n: number; b: number } {
  const old = db.prepare('SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM records WHERE batch_id IS NULL AND topic = ?').get(topic) as { n: number; b: number };
  db.prepare('DELETE FROM records WHERE batch_id IS NULL AND topic = ?').run(topic);
  return old;
}
