import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from '@causeway/shared';

/**
 * A secret the program generates once and keeps in its data directory (mode 0600), so a fresh install is
 * secure without a manual step and the operator can read it (`cat <store.path>/operator-token`).
 */
export function loadOrCreateSecret(dir: string, name: string, bytes: number): string {
  ensurePrivateDir(dir);
  const file = join(dir, name);
  if (existsSync(file)) {
    const v = readFileSync(file, 'utf8').trim();
    if (v !== '') return v;
  }
  const secret = randomBytes(bytes).toString('hex');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}
