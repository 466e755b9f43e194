import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { CausewayError } from '../errors/causeway-error.js';

/**
 * An artifact's manifest (issue 17): what a gateway checks before it writes a byte. The operator's CLI
 * computes and signs it with an Ed25519 release key; the cloud checks the signature against its trusted
 * keys and that the stored bytes match; each gateway checks it again against the public keys of its own
 * config, its target, and each chunk and the whole file as they arrive.
 */
export interface ArtifactManifest {
  v: 1;
  /** a plain file, or a release of the agent itself (installed side by side, health-gated) */
  kind: 'file' | 'release';
  name: string;
  version: string;
  /** platform the artifact is for (`linux-arm64`), '' for any */
  target: string;
  /** where a file lands, relative to the gateway's files.root (releases: unused, '') */
  path: string;
  size: number;
  sha256: string;
  chunkSize: number;
  /** sha256 of each chunk, in order */
  chunks: string[];
}

export interface SignedManifest {
  manifest: ArtifactManifest;
  /** Ed25519 signature of `manifestBytes(manifest)`, base64 */
  signature: string;
  /** `keyId` of the public key that verifies it */
  keyId: string;
}

export const DEFAULT_CHUNK_SIZE = 256 * 1024;
const HEX64 = /^[0-9a-f]{64}$/;
/** name, version, target: one safe path segment each (a release version becomes `releases/<version>/`) */
export const ARTIFACT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const fail = (msg: string): never => {
  throw new CausewayError('ARTIFACT_INVALID', msg);
};

/** The signed bytes: the fields in a fixed order, so signer and verifier agree whatever built the object. */
export function manifestBytes(m: ArtifactManifest): Buffer {
  const ordered = { v: m.v, kind: m.kind, name: m.name, version: m.version, target: m.target, path: m.path, size: m.size, sha256: m.sha256, chunkSize: m.chunkSize, chunks: m.chunks };
  return Buffer.from(JSON.stringify(ordered), 'utf8');
}

/** Checks a manifest's shape; throws ARTIFACT_INVALID naming the field. Pure. */
export function validateManifest(x: unknown): ArtifactManifest {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return fail('manifest must be an object');
  const m = x as Record<string, unknown>;
  if (m.v !== 1) fail('manifest.v must be 1');
  if (m.kind !== 'file' && m.kind !== 'release') fail('manifest.kind must be file or release');
  for (const f of ['name', 'version'] as const) if (typeof m[f] !== 'string' || !ARTIFACT_ID.test(m[f] as string)) fail(`manifest.${f} must match ${ARTIFACT_ID.source}`);
  if (typeof m.target !== 'string' || (m.target !== '' && !ARTIFACT_ID.test(m.target))) fail(`manifest.target must be '' or match ${ARTIFACT_ID.source}`);
  if (typeof m.path !== 'string' || m.path.length > 1024) fail('manifest.path must be a string of at most 1024 characters');
  if (!Number.isSafeInteger(m.size) || (m.size as number) < 0) fail('manifest.size must be a non-negative integer');
  if (typeof m.sha256 !== 'string' || !HEX64.test(m.sha256)) fail('manifest.sha256 must be 64 lowercase hex digits');
  if (!Number.isSafeInteger(m.chunkSize) || (m.chunkSize as number) < 1024 || (m.chunkSize as number) > 1024 * 1024) fail('manifest.chunkSize must be from 1024 to 1048576');
  if (!Array.isArray(m.chunks) || !m.chunks.every((c) => typeof c === 'string' && HEX64.test(c))) fail('manifest.chunks must be a list of sha256 hex digests');
  const expected = Math.ceil((m.size as number) / (m.chunkSize as number));
  if ((m.chunks as string[]).length !== expected) fail(`manifest has ${(m.chunks as string[]).length} chunk hashes, a size of ${m.size as number} needs ${expected}`);
  return m as unknown as ArtifactManifest;
}

/** The stable id of a public key: the first 16 hex digits of sha256 over its SPKI DER. */
export function keyIdOf(key: KeyObject): string {
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/**
 * A trusted public key as configs list it: base64 of the SPKI DER (one line, `MCowBQYDK2VwAyEA…`), or a
 * PEM block. Throws ARTIFACT_BAD_KEY for anything that is not an Ed25519 public key.
 */
export function parsePublicKey(text: string): KeyObject {
  let key: KeyObject;
  try {
    const t = text.trim();
    key = t.startsWith('-----BEGIN') ? createPublicKey(t) : createPublicKey({ key: Buffer.from(t, 'base64'), format: 'der', type: 'spki' });
  } catch (err) {
    throw new CausewayError('ARTIFACT_BAD_KEY', `not a public key (base64 SPKI DER or PEM expected): ${(err as Error).message}`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new CausewayError('ARTIFACT_BAD_KEY', `trusted keys must be Ed25519, got ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

/** One-line form of a public key for configs: base64 SPKI DER. */
export function publicKeyLine(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'der' }).toString('base64');
}

export function signManifest(m: ArtifactManifest, privatePem: string): SignedManifest {
  const priv = createPrivateKey(privatePem);
  if (priv.asymmetricKeyType !== 'ed25519') throw new CausewayError('ARTIFACT_BAD_KEY', 'the release key must be Ed25519 (causeway keys init)');
  return { manifest: m, signature: sign(null, manifestBytes(m), priv).toString('base64'), keyId: keyIdOf(createPublicKey(priv)) };
}

/**
 * Checks the signature against the trusted keys (by keyId, then the signature itself). Throws
 * ARTIFACT_UNTRUSTED (no trusted key has that id) or ARTIFACT_BAD_SIGNATURE; returns the manifest.
 */
export function verifyManifest(s: SignedManifest, trusted: readonly KeyObject[]): ArtifactManifest {
  const m = validateManifest(s.manifest);
  if (typeof s.signature !== 'string' || typeof s.keyId !== 'string') throw new CausewayError('ARTIFACT_BAD_SIGNATURE', 'signature and keyId must be strings');
  const key = trusted.find((k) => keyIdOf(k) === s.keyId);
  if (key === undefined) throw new CausewayError('ARTIFACT_UNTRUSTED', `signed with key ${s.keyId}, which is not among the ${trusted.length} trusted key(s)`);
  if (!verify(null, manifestBytes(m), key, Buffer.from(s.signature, 'base64'))) throw new CausewayError('ARTIFACT_BAD_SIGNATURE', `the manifest of ${m.name} ${m.version} does not match its signature (key ${s.keyId})`);
  return m;
}

/** sha256 of each `chunkSize` slice and of the whole, from a stream of bytes in order. */
export class ChunkHasher {
  readonly #chunkSize: number;
  readonly #whole = createHash('sha256');
  #cur = createHash('sha256');
  #inCur = 0;
  #size = 0;
  readonly chunks: string[] = [];

  constructor(chunkSize = DEFAULT_CHUNK_SIZE) {
    this.#chunkSize = chunkSize;
  }

  update(buf: Buffer): void {
    this.#whole.update(buf);
    this.#size += buf.length;
    let off = 0;
    while (off < buf.length) {
      const n = Math.min(this.#chunkSize - this.#inCur, buf.length - off);
      this.#cur.update(buf.subarray(off, off + n));
      this.#inCur += n;
      off += n;
      if (this.#inCur === this.#chunkSize) {
        this.chunks.push(this.#cur.digest('hex'));
        this.#cur = createHash('sha256');
        this.#inCur = 0;
      }
    }
  }

  finish(): { size: number; sha256: string; chunks: string[] } {
    if (this.#inCur > 0) this.chunks.push(this.#cur.digest('hex'));
    return { size: this.#size, sha256: this.#whole.digest('hex'), chunks: this.chunks };
  }
}
