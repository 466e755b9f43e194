import { randomBytes } from 'node:crypto';
import { StorageType } from 'nats';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiErrorCode, WRONG_LAST_SEQUENCE } from './nats-errors.js';
import type { JetStreamStore } from './jetstream-store.js';
import { ensurePrivateDir } from '@causeway/shared';

/**
 * A generated secret shared by every node of a cluster (the operator token, the device-token key): the
 * first node to start creates it in KV `<prefix>_secrets` (KV `create` is atomic, so two nodes starting
 * at once agree on one), the others read it. Each node also writes it to `<dir>/<name>` (mode 0600) so the
 * operator reads it where a single node keeps it (`cat <store.path>/operator-token`).
 */
export async function loadOrCreateSharedSecret(store: JetStreamStore, dir: string, name: string, bytes: number): Promise<string> {
  const kv = await store.js.views.kv(store.options.names.secretsBucket, { history: 1, replicas: store.options.replicas, storage: StorageType.File });
  let secret = randomBytes(bytes).toString('hex');
  try {
    await kv.create(name, secret);
  } catch (err) {
    if (apiErrorCode(err) !== WRONG_LAST_SEQUENCE) throw err;
    const e = await kv.get(name);
    if (e === null || e.operation !== 'PUT') throw new Error(`shared secret ${name} exists but cannot be read`, { cause: err });
    secret = e.string();
  }
  ensurePrivateDir(dir);
  const file = join(dir, name);
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}
