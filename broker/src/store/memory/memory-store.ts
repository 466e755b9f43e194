import type { BrokerStore } from '../contract.js';
import { StoreError } from '../store-error.js';
import { MemoryLog } from './memory-log.js';
import { MemoryOffsets } from './memory-offsets.js';
import { MemoryRetained } from './memory-retained.js';
import { MemorySessions } from './memory-sessions.js';

/**
 * A BrokerStore that lives in memory: for tests, and for a broker that need not survive a restart.
 *
 * @example
 * const store = createMemoryStore();
 * const r = await store.log.append(msg, ['q:telemetry', 't:telemetry/gw1/d1/temp']);
 */
export function createMemoryStore(): BrokerStore {
  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new StoreError('STORE_CLOSED', 'memory store is closed');
  };
  return {
    log: new MemoryLog(assertOpen),
    offsets: new MemoryOffsets(assertOpen),
    retained: new MemoryRetained(assertOpen),
    sessions: new MemorySessions(assertOpen),
    async close() {
      closed = true;
    },
  };
}
