import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { type KV, type ObjectStore, StorageType } from 'nats';
import { CausewayError, ensurePrivateDir, type ArtifactManifest, type SignedManifest } from '@causeway/shared';
import { checkBlobFile, checkSha, chunkBounds, readFileRange, writeBlobFile } from '../../files/blob-file.js';
import type { ArtifactRow, ArtifactStore } from '../../files/contract.js';
import { compareAndSet } from './kv-compare-and-set.js';
import { isPut, scanKv } from './kv-scan.js';
import type { JetStreamStore } from './jetstream-store.js';
import { escapeToken } from './subject-escape.js';

/** How long a content's chunk size, once found in the index, is used without asking the index again. */
const CHUNK_SIZE_TTL_MS = 5000;
/**
 * The Object Store client publishes an object's messages without waiting for each ack (it waits for all
 * at the end), so a fast upload to a slow link would pile up in the connection's buffer: a 1 GiB release
 * in memory. The upload waits for the server to have read everything sent so far (a flush, one ping)
 * every this many bytes.
 */
const UPLOAD_FLUSH_BYTES = 8 * 1024 * 1024;

/**
 * Artifacts on a scaled-out cluster (issue 17): every node sees the same ones.
 *
 * - Content: a JetStream Object Store bucket `<prefix>_blobs`, the object named by its sha256 (NATS splits
 *   it into messages of up to 128 KiB and checks its own digest on read). An upload is hashed as it is
 *   streamed into the bucket; a body that does not hash to its name fails the put, which purges the chunks
 *   already written, so it never becomes visible.
 * - Index: the KV bucket `<prefix>_artifacts`, key `a.<name>.<version>.<target>` (escaped tokens), value
 *   the row with its signed manifest; a record is created by compare-and-set, so two nodes publishing the
 *   same (name, version, target) at once cannot both win with different content. Each record has a small
 *   reference from its content, `s.<sha256>.<name>.<version>.<target>`, for chunk requests (see #ref).
 * - Reads (HTTP ranges, MQTT chunks): from a node-local cache, `<store.path>/artifacts-cache/<sha256>`.
 *   The Object Store offers only a whole-object read (one ordered consumer from its first chunk); a byte
 *   range would mean finding the stream sequence of its chunk, and the chunks of objects uploaded at the
 *   same time interleave in the stream. So the first read of a content on a node fetches it whole into
 *   the cache (a 50 MB object from a local nats-server in about 2 s on a loaded 2-core machine, where a
 *   whole read per chunk would cost as much for each of its 200 chunks: docs/operations.md) and every
 *   later chunk or range is a file read. A cache file is written to a temporary name, hashed while
 *   it is written and renamed to its sha256 only if it matches, so a file there is always that content;
 *   the truth is JetStream: a node with an empty cache fetches what it needs. Cache files of content no
 *   longer published are removed when this node deletes it and when the node starts. The cache is
 *   bounded (`files.cacheMaxBytes`): after a fetch, the least recently read files go first until the
 *   rest fit (the one just fetched stays, even alone past the bound); a reader that has a file open keeps
 *   reading it after its name is removed, and the next read fetches it again.
 *
 * A narrow race is left: a delete through one node and a publish of the same content through another at
 * the same moment can leave a record whose content is gone (the SQLite store, on one node, has none).
 */
export class JetStreamArtifactStore implements ArtifactStore {
  readonly #fills = new Map<string, Promise<string>>();
  readonly #chunkSizes = new Map<string, { at: number; chunkSize: number }>();
  /** cache files by last read (oldest first: a Map keeps insertion order, a read moves its entry last) and their sizes */
  readonly #lru = new Map<string, number>();
  /** files removed to keep the cache within its bound, since start */
  cacheEvictions = 0;

  constructor(
    private readonly os: ObjectStore,
    private readonly kv: KV,
    private readonly cacheDir: string,
    private readonly timeoutMs: number,
    /** resolves once the server has read what the connection sent so far (NatsConnection.flush) */
    private readonly flush: () => Promise<void> = async () => undefined,
    /** files.cacheMaxBytes: most bytes the node-local cache keeps (0: no bound) */
    private readonly cacheMaxBytes = 0,
  ) {
    ensurePrivateDir(cacheDir);
    // Files a previous run left, oldest modification first (the order they are evicted in).
    const found = readdirSync(cacheDir)
      .filter((f) => /^[0-9a-f]{64}$/.test(f))
      .map((f) => ({ f, st: statSync(join(cacheDir, f)) }))
      .sort((x, y) => x.st.mtimeMs - y.st.mtimeMs);
    for (const { f, st } of found) this.#lru.set(f, st.size);
  }

  /** Marks `sha`'s cache file as just read. */
  #touch(sha: string, size: number): void {
    this.#lru.delete(sha);
    this.#lru.set(sha, size);
  }

  /** Removes the least recently read cache files, never `keep`, until the cache fits files.cacheMaxBytes. */
  #evict(keep: string): void {
    if (this.cacheMaxBytes <= 0) return;
    let total = 0;
    for (const size of this.#lru.values()) total += size;
    for (const [sha, size] of this.#lru) {
      if (total <= this.cacheMaxBytes) break;
      if (sha === keep) continue;
      rmSync(join(this.cacheDir, sha), { force: true });
      this.#lru.delete(sha);
      total -= size;
      this.cacheEvictions++;
    }
  }

  #key(name: string, version: string, target: string): string {
    return `a.${escapeToken(name)}.${escapeToken(version)}.${escapeToken(target)}`;
  }

  /**
   * A content's reference from one record, `s.<sha256>.<name>.<version>.<target>` = `{chunkSize}`: a chunk
   * request names content, not a record, and scanning these few bytes beats scanning every record with its
   * manifest (up to 4,096 chunk hashes each). Written after its record and purged before it, so a crash in
   * between leaves a record without a reference, which chunkSizeOf still finds (and a publish again repairs).
   */
  #ref(sha: string, name: string, version: string, target: string): string {
    return `s.${sha}.${escapeToken(name)}.${escapeToken(version)}.${escapeToken(target)}`;
  }

  async hasBlob(sha: string): Promise<number | undefined> {
    const info = await this.os.info(checkSha(sha));
    return info === null || info.deleted ? undefined : info.size;
  }

  async putBlob(body: Readable, sha: string, maxBytes: number): Promise<{ size: number; stored: boolean }> {
    checkSha(sha);
    const hash = createHash('sha256');
    let size = 0;
    const take = (b: Buffer): void => {
      size += b.length;
      if (size > maxBytes) throw new CausewayError('API_TOO_LARGE', `artifact is larger than files.maxArtifactBytes (${maxBytes})`);
      hash.update(b);
    };
    const verify = (): void => {
      const got = hash.digest('hex');
      if (got !== sha) throw new CausewayError('ARTIFACT_MISMATCH', `the uploaded bytes hash to ${got}, not ${sha} (truncated or corrupted upload)`);
    };
    if ((await this.hasBlob(sha)) !== undefined) {
      // Stored already: the body is still read and checked, as the SQLite store does, but not sent.
      for await (const c of body) take(c as Buffer);
      verify();
      return { size, stored: false };
    }
    const it = body[Symbol.asyncIterator]();
    const flush = this.flush;
    let unflushed = 0;
    // An error thrown here fails the put, and the client purges the chunks it wrote.
    const rs = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const r = await it.next();
          if (r.done === true) {
            verify();
            controller.close();
            return;
          }
          const b = r.value as Buffer;
          take(b);
          unflushed += b.length;
          if (unflushed >= UPLOAD_FLUSH_BYTES) {
            unflushed = 0;
            await flush();
          }
          controller.enqueue(b);
        } catch (err) {
          controller.error(err);
        }
      },
    });
    try {
      await this.os.put({ name: sha }, rs);
    } catch (err) {
      if (err instanceof CausewayError) throw err;
      throw new CausewayError('STORE_IO', `storing ${sha} in JetStream failed: ${(err as Error).message}`, { cause: err });
    }
    return { size, stored: true };
  }

  async checkBlob(m: ArtifactManifest): Promise<void> {
    const size = await this.hasBlob(m.sha256);
    if (size === undefined) throw new CausewayError('ARTIFACT_NO_BLOB', `no content ${m.sha256} is stored; upload it first (PUT /v1/blobs/${m.sha256})`);
    if (size !== m.size) throw new CausewayError('ARTIFACT_MISMATCH', `the manifest says ${m.size} bytes, the stored content has ${size}`);
    await checkBlobFile(await this.#cached(m.sha256), m);
  }

  async insert(s: SignedManifest, at: number): Promise<{ created: boolean }> {
    const m = s.manifest;
    const row: ArtifactRow = { name: m.name, version: m.version, target: m.target, kind: m.kind, sha256: m.sha256, size: m.size, createdAt: at, signed: s };
    let cur: ArtifactRow | undefined;
    const created = await compareAndSet<ArtifactRow, true>(this.kv, this.#key(m.name, m.version, m.target), (c) => {
      cur = c;
      return c === undefined ? { value: row, result: true } : undefined;
    });
    if (created !== true && cur?.sha256 !== m.sha256) {
      throw new CausewayError('ARTIFACT_EXISTS', `${m.name} ${m.version}${m.target === '' ? '' : ` (${m.target})`} is already published with other content; publish a new version`);
    }
    // Published already with this content (perhaps with another chunk size): the record's stands.
    const chunkSize = created === true ? m.chunkSize : (cur as ArtifactRow | undefined)!.signed.manifest.chunkSize;
    await this.kv.put(this.#ref(m.sha256, m.name, m.version, m.target), JSON.stringify({ chunkSize }));
    return { created: created === true };
  }

  async get(name: string, version: string, target: string): Promise<ArtifactRow | undefined> {
    const e = await this.kv.get(this.#key(name, version, target));
    return e === null || !isPut(e) ? undefined : (e.json() as ArtifactRow);
  }

  async list(filter: { name?: string } = {}): Promise<ArtifactRow[]> {
    const rows = (await scanKv(this.kv, filter.name === undefined ? 'a.>' : `a.${escapeToken(filter.name)}.>`, this.timeoutMs)).map((e) => e.json() as ArtifactRow);
    // As the SQLite store orders them: by name (byte order; names are ASCII), then newest first.
    return rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : b.createdAt - a.createdAt));
  }

  async delete(name: string, version: string, target: string): Promise<boolean> {
    const cur = await this.get(name, version, target);
    if (cur === undefined) return false;
    await this.kv.purge(this.#ref(cur.sha256, name, version, target));
    await this.kv.purge(this.#key(name, version, target));
    if (!(await this.list()).some((r) => r.sha256 === cur.sha256)) {
      this.#chunkSizes.delete(cur.sha256);
      await this.os.delete(cur.sha256).catch(() => undefined); // already gone (deleted through another node)
      rmSync(join(this.cacheDir, cur.sha256), { force: true });
      this.#lru.delete(cur.sha256);
    }
    return true;
  }

  async chunkSizeOf(sha: string): Promise<number | undefined> {
    checkSha(sha);
    const memo = this.#chunkSizes.get(sha);
    if (memo !== undefined && Date.now() - memo.at < CHUNK_SIZE_TTL_MS) return memo.chunkSize;
    // A download asks thousands of times: its references are read once per content per CHUNK_SIZE_TTL_MS;
    // the records themselves only when it has none (not published, or a crash between a record and its reference).
    const ref = (await scanKv(this.kv, `s.${sha}.>`, this.timeoutMs))[0]?.json() as { chunkSize: number } | undefined;
    const chunkSize = ref?.chunkSize ?? (await this.list()).find((r) => r.sha256 === sha)?.signed.manifest.chunkSize;
    if (chunkSize === undefined) this.#chunkSizes.delete(sha);
    else this.#chunkSizes.set(sha, { at: Date.now(), chunkSize });
    return chunkSize;
  }

  async readChunk(sha: string, index: number): Promise<Buffer> {
    const chunkSize = await this.chunkSizeOf(sha);
    if (chunkSize === undefined) throw new CausewayError('ARTIFACT_NOT_FOUND', `no published artifact has content ${sha}`);
    const file = await this.#cached(sha);
    const { start, length } = chunkBounds(sha, index, chunkSize, statSync(file).size);
    return readFileRange(file, start, length);
  }

  async blobStream(sha: string, start: number, end: number): Promise<Readable> {
    return createReadStream(await this.#cached(sha), { start, end });
  }

  async storedBytes(): Promise<number> {
    const sizes = new Map<string, number>();
    for (const r of await this.list()) sizes.set(r.sha256, r.size);
    return [...sizes.values()].reduce((a, b) => a + b, 0);
  }

  /** The cache file of content `sha`, fetched whole from the Object Store first if this node has none (one fetch at a time per content). */
  async #cached(sha: string): Promise<string> {
    const file = join(this.cacheDir, checkSha(sha));
    if (existsSync(file)) {
      this.#touch(sha, this.#lru.get(sha) ?? statSync(file).size);
      return file;
    }
    let fill = this.#fills.get(sha);
    if (fill === undefined) {
      fill = this.#fetch(sha).finally(() => this.#fills.delete(sha));
      this.#fills.set(sha, fill);
    }
    return fill;
  }

  async #fetch(sha: string): Promise<string> {
    const r = await this.os.get(sha);
    if (r === null) throw new CausewayError('ARTIFACT_NOT_FOUND', `no published artifact has content ${sha}`);
    // The client rejects `error` too when the read fails (the stream errors as well): observed here, so
    // that a failed fetch is one rejected request, never an unhandled rejection.
    const ended = r.error.then(
      () => undefined,
      (err: unknown) => err,
    );
    try {
      // writeBlobFile hashes what arrives and renames it to `sha` only if it matches.
      await writeBlobFile(this.cacheDir, r.data as unknown as AsyncIterable<Uint8Array>, sha, Number.MAX_SAFE_INTEGER);
    } catch (err) {
      if (err instanceof CausewayError) throw err;
      throw new CausewayError('STORE_IO', `reading ${sha} from JetStream failed: ${(err as Error).message}`, { cause: err });
    }
    const err = await ended;
    if (err !== undefined && err !== null) throw new CausewayError('STORE_IO', `reading ${sha} from JetStream failed: ${(err as Error).message}`, { cause: err });
    const file = join(this.cacheDir, sha);
    this.#touch(sha, statSync(file).size);
    this.#evict(sha);
    return file;
  }

  /** Removes cache files of content no longer published, and temporary files a crash left. */
  async sweepCache(): Promise<number> {
    const live = new Set((await this.list()).map((r) => r.sha256));
    let removed = 0;
    for (const f of readdirSync(this.cacheDir)) {
      if (live.has(f)) continue;
      rmSync(join(this.cacheDir, f), { force: true });
      this.#lru.delete(f);
      removed++;
    }
    return removed;
  }

  async close(): Promise<void> {
    // The buckets belong to the store's connection, which the store closes; let fetches in flight end.
    await Promise.allSettled([...this.#fills.values()]);
  }
}

/** Opens (creating if needed) the artifact buckets of a JetStream store, with the store's replicas, and its node-local cache in `cacheDir`. */
export async function openJetStreamArtifactStore(store: JetStreamStore, cacheDir: string, cacheMaxBytes = 0): Promise<JetStreamArtifactStore> {
  const o = store.options;
  const [os, kv] = await Promise.all([
    store.js.views.os(o.names.blobsBucket, { replicas: o.replicas, storage: StorageType.File }),
    store.js.views.kv(o.names.artifactsBucket, { history: 1, replicas: o.replicas, storage: StorageType.File }),
  ]);
  const s = new JetStreamArtifactStore(os, kv, cacheDir, o.timeoutMs, () => store.nc.flush(), cacheMaxBytes);
  await s.sweepCache();
  return s;
}
