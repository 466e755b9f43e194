import { type KV, type KvEntry, KvWatchInclude, type QueuedIterator } from 'nats';
import { CausewayError } from '@causeway/shared';

/** Whether a KV entry holds a value (not a delete or purge marker). */
export const isPut = (e: KvEntry): boolean => e.operation === 'PUT';

/**
 * Every current entry under `key` (a NATS subject filter over the bucket's keys), read with one ordered
 * consumer (one round trip per batch, not one per key). Rejects after `timeoutMs`.
 */
export async function scanKv(kv: KV, key: string, timeoutMs: number): Promise<KvEntry[]> {
  const out: KvEntry[] = [];
  let timer: NodeJS.Timeout | undefined;
  // Deletes are filtered here, not with `ignoreDeletes`: the client counts only delivered entries towards
  // "initialized", so ignoring deletes there can keep it from ever firing.
  // "Initialized" may fire inside watch() itself (nothing pending), before `it` is assigned.
  let it: QueuedIterator<KvEntry> | undefined;
  let initialized = false;
  it = await kv.watch({
    key,
    include: KvWatchInclude.LastValue,
    initializedFn: () => {
      initialized = true;
      it?.stop();
    },
  });
  if (initialized) it.stop();
  const iter = it;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      iter.stop();
      reject(new CausewayError('CONTROL_STORE_TIMEOUT', `reading ${key} from KV took over ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    await Promise.race([
      (async () => {
        for await (const e of iter) if (isPut(e)) out.push(e);
      })(),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
  return out;
}
