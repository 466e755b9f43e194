import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, existsSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CausewayError, ChunkHasher, type ArtifactManifest } from '@causeway/shared';

/**
 * Content-addressed blob files, shared by the SQLite artifact store (its blobs directory) and the JetStream
 * one (its node-local cache): a blob is named by its sha256, written whole and verified before it is
 * renamed into place, so a file under that name always holds those bytes.
 */
const HEX64 = /^[0-9a-f]{64}$/;

/** Throws ARTIFACT_INVALID unless `sha` is 64 lowercase hex digits (a blob's only valid name). */
export function checkSha(sha: string): string {
  if (!HEX64.test(sha)) throw new CausewayError('ARTIFACT_INVALID', 'a blob is named by 64 lowercase hex digits (its sha256)');
  return sha;
}

/**
 * Writes `body` to a temporary file in `dir`, hashing it as it arrives (at most `maxBytes`), fsyncs it
 * and renames it to `dir/<sha>` if the bytes hash to `sha` (fsyncing the directory too). Content already
 * there is not written again (`stored: false`). Nothing is left behind on failure.
 */
export async function writeBlobFile(dir: string, body: AsyncIterable<Uint8Array>, sha: string, maxBytes: number): Promise<{ size: number; stored: boolean }> {
  const final = join(dir, checkSha(sha));
  const tmp = join(dir, `.upload-${randomBytes(8).toString('hex')}`);
  const fd = openSync(tmp, 'wx', 0o600);
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const b of body) {
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
  const dfd = openSync(dir, 'r');
  fsyncSync(dfd);
  closeSync(dfd);
  return { size, stored: true };
}

/** Hashes `file` in the manifest's chunk size; throws ARTIFACT_MISMATCH unless it matches the manifest chunk by chunk. */
export async function checkBlobFile(file: string, m: ArtifactManifest): Promise<void> {
  const h = new ChunkHasher(m.chunkSize);
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  const r = h.finish();
  const bad = r.chunks.findIndex((c, i) => c !== m.chunks[i]);
  if (r.sha256 !== m.sha256 || bad >= 0) throw new CausewayError('ARTIFACT_MISMATCH', `the manifest's chunk hashes do not match the stored content (first difference at chunk ${bad})`);
}

/** Where chunk `index` of content `sha` (`size` bytes, chunks of `chunkSize`) lies; ARTIFACT_RANGE past the end. */
export function chunkBounds(sha: string, index: number, chunkSize: number, size: number): { start: number; length: number } {
  const start = index * chunkSize;
  if (start >= size && !(size === 0 && index === 0)) throw new CausewayError('ARTIFACT_RANGE', `chunk ${index} is past the end of ${sha} (${size} bytes)`);
  return { start, length: Math.min(chunkSize, size - start) };
}

/** `length` bytes of `file` from `start`. */
export function readFileRange(file: string, start: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    let off = 0;
    while (off < length) {
      const n = readSync(fd, buf, off, length - off, start + off);
      if (n === 0) break;
      off += n;
    }
  } finally {
    closeSync(fd);
  }
  return buf;
}
