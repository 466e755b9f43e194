import type Database from 'better-sqlite3';
import { hasWildcard, matchTopic } from '@causeway/shared';
import type { RetainedStore, StoredMessage } from '../contract.js';
import { isExpired } from '../store-args.js';
import type { GroupCommit } from './group-commit.js';
import type { SqliteLog } from './sqlite-log.js';

/**
 * Retained messages: `retained` maps a topic to the id of its message in the log (stored once, like
 * every other message); log retention leaves a live retained message alone.
 */
export class SqliteRetained implements RetainedStore {
  private readonly stmt;

  constructor(
    db: Database.Database,
    private readonly commit: GroupCommit,
    private readonly log: SqliteLog,
    private readonly assertOpen: () => void,
  ) {
    this.stmt = {
      set: db.prepare('INSERT INTO retained (topic, message_id) VALUES (?, ?) ON CONFLICT (topic) DO UPDATE SET message_id = excluded.message_id'),
      del: db.prepare('DELETE FROM retained WHERE topic = ?'),
      exact: db.prepare('SELECT topic, message_id FROM retained WHERE topic = ?'),
      // GLOB 'prefix*' can use the primary-key index when the prefix holds no GLOB metacharacter.
      prefix: db.prepare('SELECT topic, message_id FROM retained WHERE topic GLOB ?'),
      all: db.prepare('SELECT topic, message_id FROM retained'),
      count: db.prepare(
        'SELECT count(*) FROM retained r JOIN messages m ON m.id = r.message_id WHERE m.expires_at IS NULL OR m.expires_at > ?',
      ).pluck(),
    };
  }

  async setRetained(message: StoredMessage): Promise<void> {
    this.assertOpen();
    let undo: (() => void) | undefined;
    await this.commit.submit(
      () => {
        // A zero-byte retained payload removes the retained message of the topic [MQTT-3.3.1-10].
        if (message.payload.length === 0) {
          this.stmt.del.run(message.topic);
          return;
        }
        undo = this.log.ensureStoredInJob(message);
        this.stmt.set.run(message.topic, message.id);
      },
      () => undo?.(),
    );
  }

  async matchRetained(filter: string): Promise<StoredMessage[]> {
    this.assertOpen();
    const rows = this.candidates(filter);
    const messages = this.log.getMany(rows.map((r) => r.message_id));
    const now = Date.now();
    const out: StoredMessage[] = [];
    for (const r of rows) {
      const m = messages.get(r.message_id);
      // An expired retained message is not delivered [MQTT-3.3.2-5]; retention removes it later.
      if (m === undefined || isExpired(m, now) || !matchTopic(filter, r.topic)) continue;
      out.push(m);
    }
    return out;
  }

  async countRetained(): Promise<number> {
    this.assertOpen();
    return this.stmt.count.get(Date.now()) as number;
  }

  private candidates(filter: string): { topic: string; message_id: number }[] {
    type Row = { topic: string; message_id: number };
    if (!hasWildcard(filter)) return this.stmt.exact.all(filter) as Row[];
    const cut = Math.min(...['+', '#'].map((w) => filter.indexOf(w)).filter((i) => i >= 0));
    const prefix = filter.slice(0, cut);
    if (prefix.length > 0 && !/[*?[\]]/.test(prefix)) {
      const rows = this.stmt.prefix.all(`${prefix}*`) as Row[];
      // `a/#` also matches the parent `a` [MQTT-4.7.1-2], which the prefix `a/` does not cover.
      if (cut === filter.length - 1) rows.push(...(this.stmt.exact.all(filter.slice(0, -2)) as Row[]));
      return rows;
    }
    return this.stmt.all.all() as Row[];
  }
}
