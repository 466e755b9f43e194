import { statfsSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { CausewayError, verifyManifest, type ArtifactManifest, type SignedManifest } from '@causeway/shared';

/**
 * What a gateway checks before it writes a byte of an artifact (issue 17): the signature against its own
 * trusted keys, the target, the path, and the disk. Each refusal is a CausewayError whose message is the
 * reason the operator sees on the target.
 */

/** This process's platform as artifacts name it: `linux-arm64`, `linux-x64`. */
export function hostTarget(): string {
  return `${process.platform}-${process.arch}`;
}

/**
 * The install path of `rel` under `root`, or FILE_PATH_ESCAPE: absolute paths, `..` that climbs out,
 * NUL, and an empty path are refused. Symlinks already under the root are the root owner's business:
 * the agent never creates one from a manifest. Pure.
 */
export function safePath(root: string, rel: string): string {
  if (rel === '' || rel.includes('\0') || isAbsolute(rel) || rel.includes('\\')) throw new CausewayError('FILE_PATH_ESCAPE', `path "${rel}" is not a relative path under files.root`);
  const full = resolve(root, rel);
  const r = relative(resolve(root), full);
  if (r === '' || r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r)) throw new CausewayError('FILE_PATH_ESCAPE', `path "${rel}" leaves files.root (${root})`);
  if (r.split(sep).some((p) => p.startsWith('.partial'))) throw new CausewayError('FILE_PATH_ESCAPE', `path "${rel}" names the agent's download area`);
  return full;
}

/** Signature, target and path: the checks that need no I/O. Returns the verified manifest. */
export function checkArtifact(s: unknown, o: { trustedKeys: readonly KeyObject[]; target: string; root: string }): ArtifactManifest {
  if (typeof s !== 'object' || s === null) throw new CausewayError('ARTIFACT_INVALID', 'install needs args.artifact: a signed manifest');
  if (o.trustedKeys.length === 0) throw new CausewayError('ARTIFACT_UNTRUSTED', 'this gateway trusts no release key (files.trustedKeys is empty)');
  const m = verifyManifest(s as SignedManifest, o.trustedKeys);
  if (m.target !== '' && m.target !== o.target) throw new CausewayError('ARTIFACT_WRONG_TARGET', `${m.name} ${m.version} is for ${m.target}, this gateway is ${o.target}`);
  if (m.kind === 'file') safePath(o.root, m.path);
  return m;
}

/** Is there room for `needed` more bytes, keeping `reserve` free? FILE_DISK_FULL otherwise. */
export function checkDiskSpace(dir: string, needed: number, reserve: number): void {
  const s = statfsSync(dir);
  const free = s.bavail * s.bsize;
  if (free - needed < reserve) {
    throw new CausewayError('FILE_DISK_FULL', `not enough disk space in ${dir}: ${needed} bytes to download, ${free} free, ${reserve} must stay free (files.minFreeBytes)`);
  }
}
