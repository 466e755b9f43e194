import type Database from 'better-sqlite3';
import type { Priority } from '../ingest/sink.js';
import { PRIORITY_NAMES } from './record-codec.js';

export type PriorityCounts = Record<Priority, number>;

/**
 * The outbox's durable counters (the `counters` table): `{evicted|expired|refused|quarantined}.{rank}`
 * per priority rank, and `reported`, the running total already told to the cloud. The in-memory copy
 * changes only after the transaction that wrote the rows commits (`write` inside it, `apply` after).
 */
export class OutboxCounters {
  private readonly values = new Map<string, number>();

  constructor(private readonly db: Database.Database) {
    for (const r of db.prepare('SELECT name, value FROM counters').all() as Array<{ name: string; value: number }>) this.values.set(r.name, r.value);
  }

  get(name: string): number {
    return this.values.get(name) ?? 0;
  }

  /** Persists new values; call inside the transaction that caused them. */
  write(updates: ReadonlyMap<string, number>): void {
    const up = this.db.prepare('INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value');
    for (const [k, v] of updates) up.run(k, v);
  }

  /** Takes new values into memory once their transaction committed. */
  apply(updates: ReadonlyMap<string, number>): void {
    for (const [k, v] of updates) this.values.set(k, v);
  }

  /** `kind` per priority name (alarm, telemetry, bulk). */
  byPriority(kind: string): PriorityCounts {
    return Object.fromEntries(PRIORITY_NAMES.map((n, p) => [n, this.get(`${kind}.${p}`)])) as PriorityCounts;
  }

  /** Records dropped (evicted, expired or refused) not yet told to the cloud. */
  unreported(): number {
    let total = 0;
    for (const k of ['evicted', 'expired', 'refused']) for (let p = 0; p < 3; p++) total += this.get(`${k}.${p}`);
    return total - this.get('reported');
  }
}
