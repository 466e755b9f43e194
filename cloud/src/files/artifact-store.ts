import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, existsSync, fsyncSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { CausewayError, ChunkHasher, ensurePrivateDir, migrate, numbered, privateDbFile, type ArtifactManifest, type SignedManifest } from '@causeway/shared';

/**
 * Artifacts in the cloud (issue 17): each distinct content is stored once, as `blobs/<sha256>` in the
 * artifacts directory (content-addressed: publishing the same bytes under another name or version, or
 * twice, stores nothing new); `artifacts.db` maps (name, version, target) to a signed manifest naming
 * that content. One node's directory: a scaled-out cluster needs it on shared storage (docs/operations.md).
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

export interface ArtifactRow {
  name: string;
  version: string;
  target: string;
  kind: 'file' | 'release';
  sha256: string;
  size: number;
  createdAt: number;
  signed: SignedManifest;
}

const HEX64 = /^[0-9a-f]{64}$/;

export class ArtifactStore {
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
    if (!HEX64.test(sha)) throw new CausewayError('ARTIFACT_INVALID', 'a blob is named by 64 lowercase hex digits (its sha256)');
    return join(this.#blobs, sha);
  }

  hasBlob(sha: string): number | undefined {
    const f = this.#blob(sha);
    return existsSync(f) ? statSync(f).size : undefined;
  }

  /**
   * Stores a body whose sha256 must be `sha` (hashed as it arrives, at most `maxBytes`): written to a
   * temporary file, fsynced, renamed into place. Content already stored is not written again.
   */
  async putBlob(body: Readable, sha: string, maxBytes: number): Promise<{ size: number; stored: boolean }> {
    const final = this.#blob(sha);
    const tmp = join(this.#blobs, `.upload-${randomBytes(8).toString('hex')}`);
    const fd = openSync(tmp, 'wx', 0o600);
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const c of body) {
        const b = c as Buffer;
        size += b.length;
        if (size > maxBytes) throw new CausewayError('API_TOO_LARGE', `artifact is larger than files.maxArtifactBytes (${maxBytes})`);
        hash.update(b);
        writeSync(fd, b);
      }
      const got = hash.digest('hex');
      if (got !== sha) throw new CausewayError('ARTIFACT_MISMATCH', `the uploaded bytes hash to ${got}, not ${sha} (truncated or corrupted upload)`);
      fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw err;
    }
    closeSync(fd);
    if (existsSync(final)) {
      rmSync(tmp, { force: true });
      return { size, stored: false };
    }
    renameSync(tmp, final);
    const dfd = openSync(this.#blobs, 'r');
    fsyncSync(dfd);
    closeSync(dfd);
    return { size, stored: true };
  }

  /** Hashes the stored blob in the manifest's chunk size: does it match the manifest, chunk by chunk? */
  async checkBlob(m: ArtifactManifest): Promise<void> {
    const size = this.hasBlob(m.sha256);
    if (size === undefined) throw new CausewayError('ARTIFACT_NO_BLOB', `no content ${m.sha256} is stored; upload it first (PUT /v1/blobs/${m.sha256})`);
    if (size !== m.size) throw new CausewayError('ARTIFACT_MISMATCH', `the manifest says ${m.size} bytes, the stored content has ${size}`);
    const h = new ChunkHasher(m.chunkSize);
    for await (const c of createReadStream(this.#blob(m.sha256))) h.update(c as Buffer);
    const r = h.finish();
    const bad = r.chunks.findIndex((c, i) => c !== m.chunks[i]);
    if (r.sha256 !== m.sha256 || bad >= 0) throw new CausewayError('ARTIFACT_MISMATCH', `the manifest's chunk hashes do not match the stored content (first difference at chunk ${bad})`);
  }

  /** Records an artifact; the same (name, version, target) again is fine with the same content, refused with another. */
  insert(s: SignedManifest, at: number): { created: boolean } {
    const m = s.manifest;
    const cur = this.get(m.name, m.version, m.target);
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

  get(name: string, version: string, target: string): ArtifactRow | undefined {
    return this.#row(this.#db.prepare('SELECT * FROM artifacts WHERE name = ? AND version = ? AND target = ?').get(name, version, target) as Record<string, unknown> | undefined);
  }

  list(filter: { name?: string } = {}): ArtifactRow[] {
    const rows = (filter.name === undefined
      ? this.#db.prepare('SELECT * FROM artifacts ORDER BY name, created_at DESC').all()
      : this.#db.prepare('SELECT * FROM artifacts WHERE name = ? ORDER BY created_at DESC').all(filter.name)) as Record<string, unknown>[];
    return rows.map((r) => this.#row(r)!);
  }

  /** Removes the record, and the content when no other artifact names it. */
  delete(name: string, version: string, target: string): boolean {
    const cur = this.get(name, version, target);
    if (cur === undefined) return false;
    this.#db.prepare('DELETE FROM artifacts WHERE name = ? AND version = ? AND target = ?').run(name, version, target);
    const still = this.#db.prepare('SELECT 1 FROM artifacts WHERE sha256 = ? LIMIT 1').get(cur.sha256);
    if (still === undefined) rmSync(this.#blob(cur.sha256), { force: true });
    return true;
  }

  /** The chunk size of some artifact with this content (chunk requests name content and index only). */
  chunkSizeOf(sha: string): number | undefined {
    const r = this.#db.prepare('SELECT signed FROM artifacts WHERE sha256 = ? LIMIT 1').get(sha) as { signed: string } | undefined;
    return r === undefined ? undefined : (JSON.parse(r.signed) as SignedManifest).manifest.chunkSize;
  }

  /** One chunk of a published artifact's content. */
  readChunk(sha: string, index: number): Buffer {
    const chunkSize = this.chunkSizeOf(sha);
    const size = chunkSize === undefined ? undefined : this.hasBlob(sha);
    if (chunkSize === undefined || size === undefined) throw new CausewayError('ARTIFACT_NOT_FOUND', `no published artifact has content ${sha}`);
    const start = index * chunkSize;
    if (start >= size && !(size === 0 && index === 0)) throw new CausewayError('ARTIFACT_RANGE', `chunk ${index} is past the end of ${sha} (${size} bytes)`);
    const len = Math.min(chunkSize, size - start);
    const buf = Buffer.alloc(len);
    const fd = openSync(this.#blob(sha), 'r');
    try {
      let off = 0;
      while (off < len) {
        const n = readSync(fd, buf, off, len - off, start + off);
        if (n === 0) break;
        off += n;
      }
    } finally {
      closeSync(fd);
    }
    return buf;
  }

  /** The stored content's bytes `start` to `end` (inclusive), streamed (HTTP range requests). */
  blobStream(sha: string, start: number, end: number): Readable {
    return createReadStream(this.#blob(sha), { start, end });
  }

  /** Bytes of content stored (each distinct content once). */
  storedBytes(): number {
    const r = this.#db.prepare('SELECT COALESCE(SUM(size), 0) AS n FROM (SELECT DISTINCT sha256, size FROM artifacts)').get() as { n: number };
    return r.n;
  }

  close(): void {
    this.#db.close();
  }
}
