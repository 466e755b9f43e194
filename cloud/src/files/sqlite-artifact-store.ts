import Database from 'better-sqlite3';
import { createReadStream, existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { CausewayError, ensurePrivateDir, migrate, numbered, privateDbFile, type ArtifactManifest, type SignedManifest } from '@causeway/shared';
import { checkBlobFile, checkSha, chunkBounds, readFileRange, writeBlobFile } from './blob-file.js';
import type { ArtifactRow, ArtifactStore } from './contract.js';

/**
 * Artifacts in one node's directory, the embedded default (issue 17): each distinct content is stored
 * once, as `blobs/<sha256>` (content-addressed: publishing the same bytes under another name or version,
 * or twice, stores nothing new); `artifacts.db` maps (name, version, target) to a signed manifest naming
 * that content. A scaled-out cluster uses the JetStream store instead (jetstream-artifact-store.ts).
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE artifacts (
     name TEXT NOT NULL,
     version TEXT NOT NULL,
     target TEXT NOT NULL,
     kind TEXT NOT NULL,
     sha256 TEXT NOT NULL,
     size INTEGER NOT NULL,
     signed TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (name, version, target)
   );
   CREATE INDEX artifacts_sha ON artifacts(sha256);`,
];

export class SqliteArtifactStore implements ArtifactStore {
  readonly #db: Database.Database;
  readonly #blobs: string;

  constructor(dir: string) {
    ensurePrivateDir(dir);
    this.#blobs = join(dir, 'blobs');
    ensurePrivateDir(this.#blobs);
    this.#db = new Database(privateDbFile(join(dir, 'artifacts.db')));
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    migrate(this.#db, numbered(MIGRATIONS), { what: 'artifacts database' });
  }

  #blob(sha: string): string {
    return join(this.#blobs, checkSha(sha));
  }

  #size(sha: string): number | undefined {
    const f = this.#blob(sha);
    return existsSync(f) ? statSync(f).size : undefined;
  }

  async hasBlob(sha: string): Promise<number | undefined> {
    return this.#size(sha);
  }

  /** Written to a temporary file, fsynced, renamed into place (blob-file.ts). */
  async putBlob(body: Readable, sha: string, maxBytes: number): Promise<{ size: number; stored: boolean }> {
    return writeBlobFile(this.#blobs, body, sha, maxBytes);
  }

  async checkBlob(m: ArtifactManifest): Promise<void> {
    const size = this.#size(m.sha256);
    if (size === undefined) throw new CausewayError('ARTIFACT_NO_BLOB', `no content ${m.sha256} is stored; upload it first (PUT /v1/blobs/${m.sha256})`);
    if (size !== m.size) throw new CausewayError('ARTIFACT_MISMATCH', `the manifest says ${m.size} bytes, the stored content has ${size}`);
    await checkBlobFile(this.#blob(m.sha256), m);
  }

  async insert(s: SignedManifest, at: number): Promise<{ created: boolean }> {
    const m = s.manifest;
    const cur = this.#get(m.name, m.version, m.target);
    if (cur !== undefined) {
      if (cur.sha256 === m.sha256) return { created: false };
      throw new CausewayError('ARTIFACT_EXISTS', `${m.name} ${m.version}${m.target === '' ? '' : ` (${m.target})`} is already published with other content; publish a new version`);
    }
    this.#db.prepare('INSERT INTO artifacts (name, version, target, kind, sha256, size, signed, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(m.name, m.version, m.target, m.kind, m.sha256, m.size, JSON.stringify(s), at);
    return { created: true };
  }

  #row(r: Record<string, unknown> | undefined): ArtifactRow | undefined {
    if (r === undefined) return undefined;
    return { name: r.name as string, version: r.version as string, target: r.target as string, kind: r.kind as 'file' | 'release', sha256: r.sha256 as string, size: r.size as number, createdAt: r.created_at as number, signed: JSON.parse(r.signed as string) as SignedManifest };
  }

  #get(name: string, version: string, target: string): ArtifactRow | undefined {
    return this.#row(this.#db.prepare('SELECT * FROM artifacts WHERE name = ? AND version = ? AND target = ?').get(name, version, target) as Record<string, unknown> | undefined);
  }

  async get(name: string, version: string, target: string): Promise<ArtifactRow | undefined> {
    return this.#get(name, version, target);
  }

  async list(filter: { name?: string } = {}): Promise<ArtifactRow[]> {
    const rows = (filter.name === undefined
      ? this.#db.prepare('SELECT * FROM artifacts ORDER BY name, created_at DESC').all()
      : this.#db.prepare('SELECT * FROM artifacts WHERE name = ? ORDER BY created_at DESC').all(filter.name)) as Record<string, unknown>[];
    return rows.map((r) => this.#row(r)!);
  }

  async delete(name: string, version: string, target: string): Promise<boolean> {
    const cur = this.#get(name, version, target);
    if (cur === undefined) return false;
    this.#db.prepare('DELETE FROM artifacts WHERE name = ? AND version = ? AND target = ?').run(name, version, target);
    const still = this.#db.prepare('SELECT 1 FROM artifacts WHERE sha256 = ? LIMIT 1').get(cur.sha256);
    if (still === undefined) rmSync(this.#blob(cur.sha256), { force: true });
    return true;
  }

  #chunkSizeOf(sha: string): number | undefined {
    const r = this.#db.prepare('SELECT signed FROM artifacts WHERE sha256 = ? LIMIT 1').get(sha) as { signed: string } | undefined;
    return r === undefined ? undefined : (JSON.parse(r.signed) as SignedManifest).manifest.chunkSize;
  }

  async chunkSizeOf(sha: string): Promise<number | undefined> {
    return this.#chunkSizeOf(sha);
  }

  async readChunk(sha: string, index: number): Promise<Buffer> {
    const chunkSize = this.#chunkSizeOf(sha);
    const size = chunkSize === undefined ? undefined : this.#size(sha);
    if (chunkSize === undefined || size === undefined) throw new CausewayError('ARTIFACT_NOT_FOUND', `no published artifact has content ${sha}`);
    const { start, length } = chunkBounds(sha, index, chunkSize, size);
    return readFileRange(this.#blob(sha), start, length);
  }

  async blobStream(sha: string, start: number, end: number): Promise<Readable> {
    return createReadStream(this.#blob(sha), { start, end });
  }

  async storedBytes(): Promise<number> {
    const r = this.#db.prepare('SELECT COALESCE(SUM(size), 0) AS n FROM (SELECT DISTINCT sha256, size FROM artifacts)').get() as { n: number };
    return r.n;
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}
