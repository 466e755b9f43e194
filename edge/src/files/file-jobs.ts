import Database from 'better-sqlite3';
import { migrate, numbered, privateDbFile, type SignedManifest } from '@causeway/shared';

/**
 * The gateway's install jobs and installed versions (`files.db`, issue 17). A job's progress — the next
 * chunk to fetch, and how many chunks were ever asked for — is committed after each chunk is on disk
 * (written and fsynced), so a download resumes from the last verified chunk after a link cut, a kill -9
 * or a power cut. Numbered migrations; never edit a shipped one.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE jobs (
     command_id TEXT PRIMARY KEY,
     device TEXT NOT NULL,
     name TEXT NOT NULL,
     signed TEXT NOT NULL,
     expires_at INTEGER,
     state TEXT NOT NULL,
     next_chunk INTEGER NOT NULL DEFAULT 0,
     asked_chunks INTEGER NOT NULL DEFAULT 0,
     fetched_bytes INTEGER NOT NULL DEFAULT 0,
     refetched_bytes INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL,
     finished_at INTEGER,
     outcome TEXT
   );
   CREATE INDEX jobs_open ON jobs(state);
   CREATE TABLE installed (
     name TEXT PRIMARY KEY,
     version TEXT NOT NULL,
     kind TEXT NOT NULL,
     sha256 TEXT NOT NULL,
     path TEXT NOT NULL,
     command_id TEXT NOT NULL,
     installed_at INTEGER NOT NULL
   );`,
];

/** DOWNLOADING → VERIFYING → INSTALLING → DONE (SUCCEEDED or not: `outcome`). A release adds AWAITING_HEALTH. */
export type JobState = 'DOWNLOADING' | 'VERIFYING' | 'INSTALLING' | 'AWAITING_HEALTH' | 'DONE';

export interface Job {
  commandId: string;
  device: string;
  name: string;
  signed: SignedManifest;
  expiresAt?: number;
  state: JobState;
  nextChunk: number;
  /** chunks below this were asked for at least once: asking again is a re-fetch */
  askedChunks: number;
  /** bytes of chunks committed (the artifact's size at the end, more only after a damaged resume) */
  fetchedBytes: number;
  /** bytes of chunks that had to be asked for more than once (a kill -9, a link cut, a lost or bad answer) */
  refetchedBytes: number;
  createdAt: number;
}

export interface InstalledRow {
  name: string;
  version: string;
  kind: string;
  sha256: string;
  path: string;
  commandId: string;
  installedAt: number;
}

type Raw = Record<string, unknown>;

export class FileJobs {
  readonly #db: Database.Database;

  constructor(file: string) {
    this.#db = new Database(privateDbFile(file));
    this.#db.pragma('journal_mode = WAL');
    // A committed chunk must survive a power cut: the resume point is only as good as this.
    this.#db.pragma('synchronous = FULL');
    migrate(this.#db, numbered(MIGRATIONS), { what: 'files database' });
  }

  #job(r: Raw | undefined): Job | undefined {
    if (r === undefined) return undefined;
    return {
      commandId: r.command_id as string,
      device: r.device as string,
      name: r.name as string,
      signed: JSON.parse(r.signed as string) as SignedManifest,
      ...(r.expires_at === null ? {} : { expiresAt: r.expires_at as number }),
      state: r.state as JobState,
      nextChunk: r.next_chunk as number,
      askedChunks: r.asked_chunks as number,
      fetchedBytes: r.fetched_bytes as number,
      refetchedBytes: r.refetched_bytes as number,
      createdAt: r.created_at as number,
    };
  }

  /** Records a new job (idempotent per command id); false when it was there already. */
  add(j: { commandId: string; device: string; signed: SignedManifest; expiresAt?: number }, at: number): boolean {
    const r = this.#db
      .prepare("INSERT OR IGNORE INTO jobs (command_id, device, name, signed, expires_at, state, created_at) VALUES (?, ?, ?, ?, ?, 'DOWNLOADING', ?)")
      .run(j.commandId, j.device, j.signed.manifest.name, JSON.stringify(j.signed), j.expiresAt ?? null, at);
    return r.changes > 0;
  }

  has(commandId: string): boolean {
    return this.#db.prepare('SELECT 1 FROM jobs WHERE command_id = ?').get(commandId) !== undefined;
  }

  get(commandId: string): Job | undefined {
    return this.#job(this.#db.prepare('SELECT * FROM jobs WHERE command_id = ?').get(commandId) as Raw | undefined);
  }

  /** Unfinished jobs, oldest first. */
  open(): Job[] {
    return (this.#db.prepare("SELECT * FROM jobs WHERE state != 'DONE' ORDER BY created_at, command_id").all() as Raw[]).map((r) => this.#job(r)!);
  }

  /** Chunk `index` is on disk: the next one to fetch is index + 1, which is being asked for now. */
  chunkDone(commandId: string, index: number, bytes: number, refetch: boolean): void {
    this.#db
      .prepare('UPDATE jobs SET next_chunk = ?, asked_chunks = MAX(asked_chunks, ?), fetched_bytes = fetched_bytes + ?, refetched_bytes = refetched_bytes + ? WHERE command_id = ?')
      .run(index + 1, index + 2, bytes, refetch ? bytes : 0, commandId);
  }

  /** The first chunk is being asked for. */
  asking(commandId: string, index: number): void {
    this.#db.prepare('UPDATE jobs SET asked_chunks = MAX(asked_chunks, ?) WHERE command_id = ?').run(index + 1, commandId);
  }

  /** A resume found chunks on disk that do not match: fetch again from `index`. */
  rewind(commandId: string, index: number): void {
    this.#db.prepare('UPDATE jobs SET next_chunk = MIN(next_chunk, ?) WHERE command_id = ?').run(index, commandId);
  }

  setState(commandId: string, state: Exclude<JobState, 'DONE'>): void {
    this.#db.prepare("UPDATE jobs SET state = ? WHERE command_id = ? AND state != 'DONE'").run(state, commandId);
  }

  finish(commandId: string, outcome: string, at: number): void {
    this.#db.prepare("UPDATE jobs SET state = 'DONE', outcome = ?, finished_at = ? WHERE command_id = ?").run(outcome, at, commandId);
  }

  /** The job is done and its artifact is the installed version of its name, in one transaction. */
  installed(job: Job, path: string, at: number): void {
    const m = job.signed.manifest;
    this.#db.transaction(() => {
      this.#db
        .prepare('INSERT INTO installed (name, version, kind, sha256, path, command_id, installed_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET version = excluded.version, kind = excluded.kind, sha256 = excluded.sha256, path = excluded.path, command_id = excluded.command_id, installed_at = excluded.installed_at')
        .run(m.name, m.version, m.kind, m.sha256, path, job.commandId, at);
      this.finish(job.commandId, 'SUCCEEDED', at);
    })();
  }

  installedList(): InstalledRow[] {
    return (this.#db.prepare('SELECT * FROM installed ORDER BY name').all() as Raw[]).map((r) => ({
      name: r.name as string,
      version: r.version as string,
      kind: r.kind as string,
      sha256: r.sha256 as string,
      path: r.path as string,
      commandId: r.command_id as string,
      installedAt: r.installed_at as number,
    }));
  }

  close(): void {
    this.#db.close();
  }
}
