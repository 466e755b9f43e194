import type Database from 'better-sqlite3';
import type { OffsetStore } from '../contract.js';
import { checkOffset, checkQueueName } from '../store-args.js';
import type { GroupCommit } from './group-commit.js';

/** Committed consumer offsets; writes are group-committed with the appends of the same tick. */
export class SqliteOffsets implements OffsetStore {
  private readonly stmt;

  constructor(
    db: Database.Database,
    private readonly commit: GroupCommit,
    private readonly assertOpen: () => void,
  ) {
    this.stmt = {
      get: db.prepare('SELECT offset FROM offsets WHERE consumer = ? AND queue = ?').pluck(),
      set: db.prepare('INSERT INTO offsets (consumer, queue, offset) VALUES (?, ?, ?) ON CONFLICT (consumer, queue) DO UPDATE SET offset = excluded.offset'),
      list: db.prepare('SELECT queue, offset FROM offsets WHERE consumer = ?'),
      del: db.prepare('DELETE FROM offsets WHERE consumer = ?'),
    };
  }

  async getOffset(consumer: string, queue: string): Promise<number | undefined> {
    this.assertOpen();
    return this.stmt.get.get(consumer, queue) as number | undefined;
  }

  async setOffset(consumer: string, queue: string, offset: number): Promise<void> {
    this.assertOpen();
    checkQueueName(queue);
    checkOffset('offset', offset);
    await this.commit.submit(() => {
      this.stmt.set.run(consumer, queue, offset);
    });
  }

  async listOffsets(consumer: string): Promise<Record<string, number>> {
    this.assertOpen();
    const rows = this.stmt.list.all(consumer) as { queue: string; offset: number }[];
    return Object.fromEntries(rows.map((r) => [r.queue, r.offset]));
  }

  async deleteConsumer(consumer: string): Promise<void> {
    this.assertOpen();
    await this.commit.submit(() => {
      this.stmt.del.run(consumer);
    });
  }
}
