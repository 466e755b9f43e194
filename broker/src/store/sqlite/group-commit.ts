import type Database from 'better-sqlite3';
import { StoreError } from '../store-error.js';

interface Job {
  work: () => unknown;
  undo: (() => void) | undefined;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export interface GroupCommitOptions {
  /** most jobs in one transaction; more start the next batch at once */
  maxBatch: number;
  /** called after each COMMIT with the number of jobs it held (metrics, tests) */
  onCommit?: (jobs: number) => void;
}

/**
 * Group commit: every write issued within one turn of the event loop (or up to `maxBatch` of them) runs
 * in ONE SQLite transaction, so one fsync covers many acknowledgements. A job's promise resolves only
 * after the COMMIT that holds it returned — the point from which the write survives a crash or power
 * loss (synchronous=FULL) — so the broker may send PUBACK afterwards and not before.
 *
 * Jobs run synchronously inside the transaction in the order they were submitted. A job may keep
 * in-memory state ahead of the database (next offsets, next id); it passes an `undo` that restores it
 * if the batch rolls back. If the transaction fails, every job of the batch is rejected (STORE_IO) and
 * undone in reverse order.
 */
export class GroupCommit {
  private pending: Job[] = [];
  private scheduled = false;
  private readonly beforeCommit: (() => void)[] = [];
  private readonly onRollback: (() => void)[] = [];
  private readonly afterCommit: (() => void)[] = [];

  constructor(
    private readonly db: Database.Database,
    private readonly options: GroupCommitOptions,
  ) {}

  /** Registers work that runs once at the end of every batch, inside its transaction. */
  addBeforeCommit(hook: () => void): void {
    this.beforeCommit.push(hook);
  }

  /** Registers work that runs after each COMMIT, before any job of the batch resolves (what it wrote is readable). */
  addAfterCommit(hook: () => void): void {
    this.afterCommit.push(hook);
  }

  /** Registers work that runs after a batch rolled back (drop rows it had queued for the COMMIT). */
  addOnRollback(hook: () => void): void {
    this.onRollback.push(hook);
  }

  submit<R>(work: () => R, undo?: () => void): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ work, undo, resolve: resolve as (v: unknown) => void, reject });
      if (this.pending.length >= this.options.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Number of jobs waiting for the next batch. */
  get queued(): number {
    return this.pending.length;
  }

  /** Writes everything queued now, in batches of at most maxBatch. */
  flush(): void {
    this.scheduled = false;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.options.maxBatch);
      this.runBatch(batch);
    }
  }

  private runBatch(batch: Job[]): void {
    const results: unknown[] = new Array(batch.length);
    let ran = 0;
    try {
      this.db.transaction(() => {
        for (const job of batch) {
          results[ran] = job.work();
          ran++;
        }
        for (const hook of this.beforeCommit) hook();
      })();
    } catch (err) {
      // Reverse order, starting with the job that threw (it may have changed memory before failing).
      for (let i = Math.min(ran, batch.length - 1); i >= 0; i--) batch[i]!.undo?.();
      for (const hook of this.onRollback) hook();
      const failure = new StoreError('STORE_IO', `store transaction of ${batch.length} writes rolled back: ${(err as Error).message}`, { cause: err });
      for (const job of batch) job.reject(failure);
      return;
    }
    for (const hook of this.afterCommit) hook();
    this.options.onCommit?.(batch.length);
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]);
  }
}
