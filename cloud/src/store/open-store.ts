import { type BrokerStore, createMemoryStore, openSqliteStore, StoreError } from '@causeway/broker';
import { openJetStreamStore } from './jetstream/jetstream-store.js';
import type { JetStreamStoreOptions } from './jetstream/jetstream-options.js';

export type StoreBackend = 'memory' | 'sqlite' | 'jetstream';
export const STORE_BACKENDS: readonly StoreBackend[] = ['memory', 'sqlite', 'jetstream'];

export interface OpenStoreOptions {
  /** `store.backend`: `sqlite` (durable, the default) or `memory` (lost on exit; tests, throwaway brokers) */
  backend: StoreBackend;
  /** `store.path`: data directory of the sqlite backend (the file is `causeway-cloud.db` in it); ignored by memory */
  path?: string;
  /** sqlite: most writes per group-commit transaction (default 1000) */
  maxBatch?: number;
  /** sqlite: hot-message cache and queue-tail bounds (defaults 250,000 messages / 64 MiB, each message charged payload + topic + 512 bytes) */
  cacheMaxMessages?: number;
  cacheMaxBytes?: number;
  /** jetstream: NATS servers, credentials, TLS, replicas, limits */
  jetstream?: JetStreamStoreOptions;
}

/**
 * The one place the broker turns `store.*` config into a BrokerStore. Async because a networked backend
 * (JetStream) must connect before it is usable.
 *
 * @example
 * const store = await openStore({ backend: 'sqlite', path: config.store.path });
 * // … on shutdown, after the broker drained:
 * await store.close();
 */
export async function openStore(options: OpenStoreOptions): Promise<BrokerStore> {
  switch (options.backend) {
    case 'memory':
      return createMemoryStore();
    case 'sqlite': {
      if (options.path === undefined || options.path === '') {
        throw new StoreError('STORE_INVALID', 'store.path (a data directory) is required for store.backend=sqlite');
      }
      const { backend: _backend, path, ...tuning } = options;
      return openSqliteStore({ dir: path, ...tuning });
    }
    case 'jetstream':
      return openJetStreamStore(options.jetstream ?? { servers: [] });
    default:
      throw new StoreError(
        'STORE_INVALID',
        `store.backend must be one of ${STORE_BACKENDS.join(', ')}, got ${JSON.stringify((options as { backend: unknown }).backend)}`,
      );
  }
}
