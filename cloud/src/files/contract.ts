import type { Readable } from 'node:stream';
import type { ArtifactManifest, SignedManifest } from '@causeway/shared';

/** One published artifact: (name, version, target) → the signed manifest naming its content. */
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

/**
 * Where artifacts live (issue 17): content-addressed blobs (each distinct content stored once, named by
 * its sha256) and an index of (name, version, target) → signed manifest. Async throughout, because a
 * backend may be remote. Implementations: `SqliteArtifactStore` (one node's directory, the embedded
 * default) and `JetStreamArtifactStore` (Object Store + KV, shared by every node of a cluster). Every one
 * runs the suite in cloud/test/files/artifact-store-contract.ts.
 *
 * Errors are CausewayErrors: ARTIFACT_INVALID (a blob name that is not 64 lowercase hex digits),
 * API_TOO_LARGE (over maxBytes), ARTIFACT_MISMATCH (bytes that do not hash as claimed), ARTIFACT_NO_BLOB,
 * ARTIFACT_EXISTS, ARTIFACT_NOT_FOUND, ARTIFACT_RANGE.
 */
export interface ArtifactStore {
  /** The size of the stored content `sha`, or undefined when none is stored. */
  hasBlob(sha: string): Promise<number | undefined>;
  /**
   * Stores a body whose sha256 must be `sha` (hashed as it arrives, at most `maxBytes`); nothing of a
   * refused body becomes visible. Content already stored is not stored again (`stored: false`).
   */
  putBlob(body: Readable, sha: string, maxBytes: number): Promise<{ size: number; stored: boolean }>;
  /** Hashes the stored content in the manifest's chunk size: throws unless it matches the manifest, chunk by chunk. */
  checkBlob(m: ArtifactManifest): Promise<void>;
  /** Records an artifact; the same (name, version, target) again is fine with the same content, ARTIFACT_EXISTS with another. */
  insert(s: SignedManifest, at: number): Promise<{ created: boolean }>;
  get(name: string, version: string, target: string): Promise<ArtifactRow | undefined>;
  /** By name, then newest first. */
  list(filter?: { name?: string }): Promise<ArtifactRow[]>;
  /** Removes the record, and the content when no other artifact names it. */
  delete(name: string, version: string, target: string): Promise<boolean>;
  /** The chunk size of some published artifact with this content (chunk requests name content and index only). */
  chunkSizeOf(sha: string): Promise<number | undefined>;
  /** One chunk of a published artifact's content (ARTIFACT_NOT_FOUND, ARTIFACT_RANGE). */
  readChunk(sha: string, index: number): Promise<Buffer>;
  /** The stored content's bytes `start` to `end` (inclusive), streamed (HTTP range requests). */
  blobStream(sha: string, start: number, end: number): Promise<Readable>;
  /** Bytes of published content stored (each distinct content once). */
  storedBytes(): Promise<number>;
  close(): Promise<void>;
}
