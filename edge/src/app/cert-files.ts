import { existsSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { syncDir, writePrivateFileAtomic } from '@causeway/shared';

/**
 * The gateway's key and certificate are two files that must change together (issue 20, renewal): a
 * key with another key's certificate cannot connect. Neither a rename nor a write covers two files, so
 * the pair is staged: `<key>.new` and `<cert>.new`, each written whole (tmp, fsync, rename, mode 0600),
 * the certificate last; then both renamed over the old ones, key first. `<cert>.new` exists only once both
 * staged files are complete, so at start `finishCertInstall` completes a pair it finds staged (a crash
 * between the two renames) and drops a lone `<key>.new` (a crash while staging: the old pair stays).
 */
export function installKeyAndCert(keyFile: string, certFile: string, keyPem: string, certPem: string): void {
  writePrivateFileAtomic(`${keyFile}.new`, keyPem);
  writePrivateFileAtomic(`${certFile}.new`, certPem);
  finishCertInstall(keyFile, certFile);
}

/** Completes or drops a staged key and certificate (see installKeyAndCert); returns what it did. */
export function finishCertInstall(keyFile: string, certFile: string): 'installed' | 'dropped' | 'none' {
  if (existsSync(`${certFile}.new`)) {
    if (existsSync(`${keyFile}.new`)) renameSync(`${keyFile}.new`, keyFile);
    renameSync(`${certFile}.new`, certFile);
    syncDir(dirname(certFile));
    return 'installed';
  }
  if (existsSync(`${keyFile}.new`)) {
    rmSync(`${keyFile}.new`, { force: true });
    return 'dropped';
  }
  return 'none';
}
