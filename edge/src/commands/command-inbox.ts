import Database from 'better-sqlite3';
import { type CommandEnvelope, type CommandResultEnvelope, privateDbFile, migrate, numbered } from '@causeway/shared';

/**
 * The gateway's command inbox (`inbox.db`): a command is persisted here BEFORE the gateway acknowledges
 * it to the cloud, and its result is kept so a redelivered command is answered from the stored result
 * instead of running again (at most once per command id and device).
 *
 * States: RECEIVED (committed, not started) → RUNNING (started) → DONE (result stored).
 */
export type InboxState = 'RECEIVED' | 'RUNNING' | 'DONE';

export interface InboxRow {
  commandId: string;
  device: string;
  envelope: CommandEnvelope;
  state: InboxState;
  result?: CommandResultEnvelope;
  resultQueued: boolean;
  receivedAt: number;
}

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE inbox (
     command_id TEXT NOT NULL,
     device TEXT NOT NULL,
     envelope TEXT NOT NULL,
     state TEXT NOT NULL,
     result TEXT,
     result_queued INTEGER NOT NULL DEFAULT 0,
     received_at INTEGER NOT NULL,
     PRIMARY KEY (command_id, device)
   );
   CREATE INDEX inbox_state ON inbox(state);
   CREATE TABLE applied_config (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, doc TEXT NOT NULL, previous TEXT);
   CREATE TABLE refused_config (version INTEGER PRIMARY KEY, status TEXT NOT NULL, at INTEGER NOT NULL);`,
  // 2: a remote config stays unconfirmed until the uplink has worked with it once; the rollback and its
  // count of boots survive restarts and power cuts (issue 23, item 4). Rows from before are confirmed.
  `ALTER TABLE applied_config ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 1;
   ALTER TABLE applied_config ADD COLUMN boots INTEGER NOT NULL DEFAULT 0;`,
];

type Raw = { command_id: string; device: string; envelope: string; state: InboxState; result: string | null; result_queued: number; received_at: number };

export class CommandInbox {
  readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(privateDbFile(file));
    this.db.pragma('journal_mode = WAL');
    // The commit below is what lets the gateway PUBACK a command: it must survive a power cut.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db, numbered(MIGRATIONS), { what: 'command inbox' });
  }

  #row(r: Raw): InboxRow {
    return {
      commandId: r.command_id,
      device: r.device,
      envelope: JSON.parse(r.envelope) as CommandEnvelope,
      state: r.state,
      resultQueued: r.result_queued === 1,
      receivedAt: r.received_at,
      ...(r.result === null ? {} : { result: JSON.parse(r.result) as CommandResultEnvelope }),
    };
  }

  /** Inserts a new command; returns the existing row instead when (commandId, device) is known. */
  admit(env: CommandEnvelope, device: string, now: number): { fresh: true } | { fresh: false; row: InboxRow } {
    const info = this.db
      .prepare('INSERT OR IGNORE INTO inbox (command_id, device, envelope, state, received_at) VALUES (?, ?, ?, ?, ?)')
      .run(env.id, device, JSON.stringify(env), 'RECEIVED', now);
    if (info.changes === 1) return { fresh: true };
    return { fresh: false, row: this.get(env.id, device)! };
  }

  get(commandId: string, device: string): InboxRow | undefined {
    const r = this.db.prepare('SELECT * FROM inbox WHERE command_id = ? AND device = ?').get(commandId, device) as Raw | undefined;
    return r === undefined ? undefined : this.#row(r);
  }

  /**
   * Claims a received command for execution: RECEIVED → RUNNING in one committed statement. Only one
   * caller ever gets true for a (command, device): whoever else tries to start the same command (a
   * redelivery racing start-up recovery, issue 22) gets false and must not touch the device. The commit
   * (synchronous=FULL) lands before the device sees anything, so after a power cut the row says RUNNING
   * and the command is answered FAILED instead of being run a second time.
   */
  claim(commandId: string, device: string): boolean {
    return this.db.prepare("UPDATE inbox SET state = 'RUNNING' WHERE command_id = ? AND device = ? AND state = 'RECEIVED'").run(commandId, device).changes === 1;
  }

  complete(commandId: string, device: string, result: CommandResultEnvelope): void {
    this.db.prepare("UPDATE inbox SET state = 'DONE', result = ? WHERE command_id = ? AND device = ?").run(JSON.stringify(result), commandId, device);
  }

  markResultQueued(commandId: string, device: string): void {
    this.db.prepare('UPDATE inbox SET result_queued = 1 WHERE command_id = ? AND device = ?').run(commandId, device);
  }

  byState(state: InboxState): InboxRow[] {
    return (this.db.prepare('SELECT * FROM inbox WHERE state = ? ORDER BY received_at').all(state) as Raw[]).map((r) => this.#row(r));
  }

  /** DONE rows whose result may not have reached the outbox before a crash. */
  unqueuedResults(): InboxRow[] {
    return (this.db.prepare("SELECT * FROM inbox WHERE state = 'DONE' AND result_queued = 0 ORDER BY received_at").all() as Raw[]).map((r) => this.#row(r));
  }

  /** Forgets finished commands older than `before` (their ids can no longer be redelivered). */
  prune(before: number): number {
    return this.db.prepare("DELETE FROM inbox WHERE state = 'DONE' AND result_queued = 1 AND received_at < ?").run(before).changes;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
