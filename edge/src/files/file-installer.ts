import { createHash, type KeyObject } from 'node:crypto';
import { closeSync, createReadStream, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CausewayError, type CommandEnvelope, type CommandResultEnvelope, type CommandResultStatus, type Logger, type SignedManifest } from '@causeway/shared';
import type { ResultSink } from '../commands/contract.js';
import type { ChunkSource } from './chunk-source.js';
import type { FileJobs, Job } from './file-jobs.js';
import { checkArtifact, checkDiskSpace, safePath } from './install-guard.js';
import { holdAt } from './test-hold.js';

/** How an agent release is put in place and health-gated (release-switch.ts); absent: releases are refused. */
export interface ReleaseInstaller {
  /** Throws the reason this agent cannot switch to `version` (checked before a byte is fetched). */
  precheck(version: string): void;
  /** The command whose release is swapped in and waits for its health gate (not to be run again). */
  pendingCommand(): string | undefined;
  /** Where an installed release's executable is (a kill -9 mid-install is resumed from it). */
  installedCopy(version: string): string;
  /** Installs the verified file as the next release and arranges the restart; resolves when the agent may exit. */
  install(job: Job, file: string): Promise<void>;
}

export interface FileInstallerOptions {
  gateway: string;
  jobs: FileJobs;
  /** MQTT chunks (chunk-client.ts) or HTTP ranges (http-chunk-source.ts): files.transport */
  chunks: ChunkSource;
  results: ResultSink;
  trustedKeys: readonly KeyObject[];
  target: string;
  root: string;
  minFreeBytes: number;
  releases?: ReleaseInstaller;
  logger: Logger;
  now?: () => number;
  /** ms between DOWNLOADING progress reports at most */
  progressEveryMs?: number;
}

/** a chunk whose bytes do not match its hash is asked for this many times before the install fails */
const CHUNK_TRIES = 3;

/**
 * Runs install jobs (issue 17), one at a time, oldest first: checks, download chunk by chunk into
 * `<root>/.partial/<sha256>` (each chunk hashed, written, fsynced, then committed in files.db), verify
 * the whole, and install by rename into place (write, fsync, rename, fsync the directory). Every job
 * ends in a result through the outbox: SUCCEEDED with the installed version, or FAILED with the reason;
 * nothing reaches the install path unless it verified. A newer install of the same name supersedes an
 * unfinished one.
 */
export class FileInstaller {
  readonly #o: FileInstallerOptions;
  readonly #now: () => number;
  #current: { commandId: string; ac: AbortController } | undefined;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #stopped = false;
  /** since this process started (/metrics `causeway_files`): downloads started or resumed, chunk bytes committed and fetched again, outcomes */
  readonly counters = { accepted: 0, downloads: 0, fetchedBytes: 0, refetchedBytes: 0, succeeded: 0, failed: 0, rolledBack: 0 };

  constructor(o: FileInstallerOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  /** The `install` command: checks what needs no I/O and records the job (durably) or throws the refusal. */
  take(env: CommandEnvelope, device: string): void {
    const signed = (env.args as { artifact?: unknown }).artifact as SignedManifest;
    const m = checkArtifact(signed, { trustedKeys: this.#o.trustedKeys, target: this.#o.target, root: this.#o.root });
    if (m.kind === 'release') {
      if (this.#o.releases === undefined) throw new CausewayError('ARTIFACT_UNSUPPORTED', 'this agent does not install releases of itself');
      this.#o.releases.precheck(m.version);
    }
    // Supersede: an unfinished install of the same name is dropped for this newer one.
    for (const j of this.#o.jobs.open()) {
      if (j.name !== m.name || j.commandId === env.id || j.state === 'AWAITING_HEALTH') continue;
      this.#o.jobs.finish(j.commandId, 'SUPERSEDED', this.#now());
      if (this.#current?.commandId === j.commandId) this.#current.ac.abort(new CausewayError('FILE_SUPERSEDED', `superseded by ${env.id}`));
      else void this.#report(j, 'FAILED', undefined, `superseded by command ${env.id}`);
      this.#dropPartial(j);
    }
    if (this.#o.jobs.add({ commandId: env.id, device, signed, ...(env.expiresAt === undefined ? {} : { expiresAt: env.expiresAt }) }, this.#now())) this.counters.accepted++;
    this.#wake?.();
  }

  has(commandId: string): boolean {
    return this.#o.jobs.has(commandId);
  }

  start(): void {
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const pending = this.#o.releases?.pendingCommand();
      const job = this.#o.jobs.open().find((j) => j.state !== 'AWAITING_HEALTH' && j.commandId !== pending);
      if (job === undefined) {
        await new Promise<void>((r) => (this.#wake = r));
        this.#wake = undefined;
        continue;
      }
      const ac = new AbortController();
      this.#current = { commandId: job.commandId, ac };
      const ttl = job.expiresAt === undefined ? undefined : setTimeout(() => ac.abort(new CausewayError('FILE_TIMED_OUT', 'the rollout\'s TTL passed before the install finished')), Math.max(0, job.expiresAt - this.#now()));
      try {
        await this.#runJob(job, ac.signal);
      } catch (err) {
        const e = err as CausewayError;
        if (this.#stopped && e.code === 'FILE_ABORTED') break; // shutting down: the job resumes on the next start
        this.counters.failed++;
        const status: CommandResultStatus = e.code === 'FILE_TIMED_OUT' ? 'TIMED_OUT' : 'FAILED';
        this.#o.logger.warn('install failed', { commandId: job.commandId, name: job.name, code: e.code, reason: e.message });
        this.#o.jobs.finish(job.commandId, status, this.#now());
        this.#dropPartial(job);
        await this.#report(job, status, undefined, e.code === 'FILE_SUPERSEDED' ? e.message : `${e.code ?? 'ERROR'}: ${e.message}`);
      } finally {
        clearTimeout(ttl);
        this.#current = undefined;
      }
    }
  }

  #partial(job: Job): string {
    return join(this.#o.root, '.partial', job.signed.manifest.sha256);
  }

  #dropPartial(job: Job): void {
    // Another open job may be fetching the same content; keep it for that one.
    if (this.#o.jobs.open().some((j) => j.commandId !== job.commandId && j.signed.manifest.sha256 === job.signed.manifest.sha256)) return;
    rmSync(this.#partial(job), { force: true });
  }

  async #runJob(job: Job, signal: AbortSignal): Promise<void> {
    const m = checkArtifact(job.signed, { trustedKeys: this.#o.trustedKeys, target: this.#o.target, root: this.#o.root });
    const partial = this.#partial(job);
    if (job.state === 'INSTALLING' && !existsSync(partial)) {
      // A kill -9 or power cut between the rename into place and its record: the verified bytes are
      // where they were going; check them there instead of fetching them again.
      const placed = m.kind === 'file' ? safePath(this.#o.root, m.path) : this.#o.releases?.installedCopy(m.version);
      if (placed !== undefined && existsSync(placed) && (await hashFile(placed)) === m.sha256) {
        if (m.kind === 'release') return this.#o.releases!.install(job, placed);
        this.#o.jobs.installed(job, placed, this.#now());
        this.counters.succeeded++;
        await this.#report(job, 'SUCCEEDED', { name: m.name, version: m.version, path: m.path, size: m.size, sha256: m.sha256, fetchedBytes: job.fetchedBytes, refetchedBytes: job.refetchedBytes });
        return;
      }
    }
    mkdirSync(dirname(partial), { recursive: true, mode: 0o700 });
    const fd = openSync(partial, existsSync(partial) ? 'r+' : 'w+', 0o600);
    let next: number;
    try {
      next = this.#resumePoint(fd, job);
      const have = next * m.chunkSize;
      checkDiskSpace(dirname(partial), Math.max(0, m.size - have), this.#o.minFreeBytes);
      if (next < m.chunks.length) {
        this.counters.downloads++;
        await this.#report(job, 'DOWNLOADING', this.#progress(job, have), undefined, `${next}`);
      }
      let lastReport = this.#now();
      // Chunks asked for before this run (a kill -9 or power cut came between the ask and the commit)
      // are re-fetches; in this run each chunk is asked once unless its answer is lost or bad.
      const askedBefore = job.askedChunks;
      for (let i = next; i < m.chunks.length; i++) {
        const len = Math.min(m.chunkSize, m.size - i * m.chunkSize);
        if (i === next) this.#o.jobs.asking(job.commandId, i);
        let refetch = i < askedBefore;
        let data: Buffer | undefined;
        for (let tries = 1; data === undefined; tries++) {
          const got = await this.#o.chunks.fetch(m.sha256, i, len, signal, i * m.chunkSize);
          if (got.asks > 1) refetch = true;
          const h = createHash('sha256').update(got.data).digest('hex');
          if (got.data.length === len && h === m.chunks[i]) data = got.data;
          else if (tries >= CHUNK_TRIES) throw new CausewayError('FILE_CHUNK_MISMATCH', `chunk ${i} of ${m.name} ${m.version} came ${tries} times as ${got.data.length} bytes hashing to ${h.slice(0, 12)}…, the signed manifest says ${len} bytes, ${m.chunks[i]!.slice(0, 12)}… (corrupted or truncated artifact)`);
          else refetch = true;
        }
        writeChunk(fd, data, i * m.chunkSize, partial);
        this.#o.jobs.chunkDone(job.commandId, i, len, refetch);
        job.askedChunks = Math.max(job.askedChunks, i + 2);
        job.fetchedBytes += len;
        this.counters.fetchedBytes += len;
        if (refetch) {
          job.refetchedBytes += len;
          this.counters.refetchedBytes += len;
        }
        if (this.#now() - lastReport >= (this.#o.progressEveryMs ?? 5000) && i + 1 < m.chunks.length) {
          lastReport = this.#now();
          await this.#report(job, 'DOWNLOADING', this.#progress(job, (i + 1) * m.chunkSize), undefined, `${i + 1}`);
        }
      }
    } finally {
      closeSync(fd);
    }
    this.#o.jobs.setState(job.commandId, 'VERIFYING');
    await this.#report(job, 'VERIFYING', this.#progress(job, m.size));
    await holdAt('verifying');
    const whole = await hashFile(partial);
    if (whole !== m.sha256) throw new CausewayError('FILE_SHA_MISMATCH', `the downloaded ${m.name} ${m.version} hashes to ${whole}, the signed manifest says ${m.sha256}`);
    if (signal.aborted) throw signal.reason as Error;
    this.#o.jobs.setState(job.commandId, 'INSTALLING');
    await this.#report(job, 'INSTALLING', this.#progress(job, m.size));
    await holdAt('installing');
    if (m.kind === 'release') {
      await this.#o.releases!.install(job, partial);
      return;
    }
    const dest = safePath(this.#o.root, m.path);
    mkdirSync(dirname(dest), { recursive: true, mode: 0o755 });
    // The partial file was fsynced chunk by chunk; the rename is the atomic step, then its directory.
    renameSync(partial, dest);
    fsyncDir(dirname(dest));
    await holdAt('renamed');
    this.#o.jobs.installed(job, dest, this.#now());
    this.counters.succeeded++;
    this.#o.logger.info('file installed', { commandId: job.commandId, name: m.name, version: m.version, path: dest, fetchedBytes: job.fetchedBytes, refetchedBytes: job.refetchedBytes });
    await this.#report(job, 'SUCCEEDED', { name: m.name, version: m.version, path: m.path, size: m.size, sha256: m.sha256, fetchedBytes: job.fetchedBytes, refetchedBytes: job.refetchedBytes });
  }

  /**
   * Where to go on: the committed next chunk, after checking that the chunks before it are on disk as
   * their hashes say (a power cut can lose a write the database thought done). Bytes past it are cut.
   */
  #resumePoint(fd: number, job: Job): number {
    const m = job.signed.manifest;
    const size = fstatSync(fd).size;
    let next = Math.min(job.nextChunk, m.chunks.length);
    const buf = Buffer.alloc(m.chunkSize);
    for (let i = 0; i < next; i++) {
      const len = Math.min(m.chunkSize, m.size - i * m.chunkSize);
      const n = i * m.chunkSize + len <= size ? readSync(fd, buf, 0, len, i * m.chunkSize) : 0;
      if (n !== len || createHash('sha256').update(buf.subarray(0, len)).digest('hex') !== m.chunks[i]) {
        this.#o.logger.warn('partial download damaged; fetching again from this chunk', { commandId: job.commandId, chunk: i });
        next = i;
        this.#o.jobs.rewind(job.commandId, i);
        break;
      }
    }
    ftruncateSync(fd, Math.min(size, next * m.chunkSize));
    if (next > 0) this.#o.logger.info('download resumed', { commandId: job.commandId, name: m.name, chunk: next, of: m.chunks.length });
    return next;
  }

  #progress(job: Job, bytes: number): Record<string, unknown> {
    const m = job.signed.manifest;
    return { name: m.name, version: m.version, bytes: Math.min(bytes, m.size), size: m.size, percent: m.size === 0 ? 100 : Math.floor((Math.min(bytes, m.size) * 100) / m.size), fetchedBytes: job.fetchedBytes, refetchedBytes: job.refetchedBytes };
  }

  /** Reports through the outbox; `step` makes repeated progress reports distinct ids (the cloud dedupes by id). */
  async #report(job: Job, status: CommandResultStatus, output?: unknown, error?: string, step?: string): Promise<void> {
    const result: CommandResultEnvelope = {
      v: 1,
      type: 'command-result',
      id: `${job.commandId}.${job.device}.${status}${step === undefined ? '' : `.${step}`}`.slice(0, 128),
      commandId: job.commandId,
      gateway: this.#o.gateway,
      device: job.device,
      status,
      ts: this.#now(),
      ...(output === undefined ? {} : { output }),
      ...(error === undefined ? {} : { error }),
    };
    await this.#o.results.sendResult(result);
  }

  /** Reports a release's end from outside the loop (the health gate, release-switch.ts). */
  async finishRelease(job: Job, status: 'SUCCEEDED' | 'ROLLED_BACK', detail: { output?: unknown; error?: string }): Promise<void> {
    this.#o.jobs.finish(job.commandId, status, this.#now());
    if (status === 'SUCCEEDED') this.counters.succeeded++;
    else this.counters.rolledBack++;
    await this.#report(job, status, detail.output, detail.error);
  }

  installed(): Record<string, { version: string; sha256: string; installedAt: number }> {
    return Object.fromEntries(this.#o.jobs.installedList().map((r) => [r.name, { version: r.version, sha256: r.sha256, installedAt: r.installedAt }]));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#current?.ac.abort(new CausewayError('FILE_ABORTED', 'agent stopping'));
    this.#wake?.();
    await this.#loop;
  }
}

/**
 * Writes and fsyncs a verified chunk. A disk that fills up under the download (another writer, or a
 * smaller filesystem than statfs said) fails the job as FILE_DISK_FULL; the caller deletes the partial file.
 */
function writeChunk(fd: number, data: Buffer, at: number, file: string): void {
  try {
    writeSync(fd, data, 0, data.length, at);
    fsyncSync(fd);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') throw new CausewayError('FILE_DISK_FULL', `the disk filled up while writing ${file} at byte ${at} (${code}); the partial download is deleted`, { cause: err });
    throw err;
  }
}

async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return h.digest('hex');
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
