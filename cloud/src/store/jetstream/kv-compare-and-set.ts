import type { KV } from 'nats';
import { CausewayError } from '@causeway/shared';
import { isPut } from './kv-scan.js';
import { apiErrorCode, WRONG_LAST_SEQUENCE } from './nats-errors.js';

const MAX_CAS_ATTEMPTS = 50;

/**
 * Reads the value at `key`, lets `change` compute the new one and writes it only if nobody wrote in
 * between (compare-and-set on the KV revision), retrying otherwise. `change` returns undefined to write
 * nothing; the result is what was written, or undefined.
 */
export async function compareAndSet<T, R>(kv: KV, key: string, change: (cur: T | undefined) => { value: T; result: R } | undefined): Promise<R | undefined> {
  for (let i = 0; i < MAX_CAS_ATTEMPTS; i++) {
    const e = await kv.get(key);
    const cur = e !== null && isPut(e) ? (e.json() as T) : undefined;
    const upd = change(cur);
    if (upd === undefined) return undefined;
    try {
      if (e === null) await kv.create(key, JSON.stringify(upd.value));
      else await kv.update(key, JSON.stringify(upd.value), e.revision);
      return upd.result;
    } catch (err) {
      if (apiErrorCode(err) !== WRONG_LAST_SEQUENCE) throw err;
    }
  }
  throw new CausewayError('CONTROL_STORE_CONFLICT', `${key} changed ${MAX_CAS_ATTEMPTS} times while being updated`);
}
