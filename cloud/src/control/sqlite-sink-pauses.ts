import type Database from 'better-sqlite3';
import type { SinkControlStore, SinkPause } from './control-store.js';

/** Sink pauses in `control.db` (table sink_pauses, migration 5): one row per sink, the later change wins. */
export class SqliteSinkPauses implements SinkControlStore {
  constructor(private readonly db: Database.Database) {}

  async setPaused(sink: string, paused: boolean, at: number): Promise<void> {
    this.db
      .prepare('INSERT INTO sink_pauses (sink, paused, at) VALUES (?, ?, ?) ON CONFLICT(sink) DO UPDATE SET paused = excluded.paused, at = excluded.at WHERE excluded.at >= sink_pauses.at')
      .run(sink, paused ? 1 : 0, at);
  }

  async pauses(): Promise<Map<string, SinkPause>> {
    const rows = this.db.prepare('SELECT sink, paused, at FROM sink_pauses ORDER BY sink').all() as Array<{ sink: string; paused: number; at: number }>;
    return new Map(rows.map((r) => [r.sink, { paused: r.paused === 1, at: r.at }]));
  }
}
