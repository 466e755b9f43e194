/**
 * @causeway/broker — an MQTT 3.1.1/5 broker core over any duplex stream and any BrokerStore.
 *
 * Edge and cloud both run it: the cloud with its registry's access control, server-side queues and the
 * JetStream store; the agent as the LAN listener for MQTT sensors. It depends on @causeway/shared only;
 * what it must not know (identity, queue services, envelopes) reaches it through `BrokerOptions` hooks.
 *
 * @example
 * const store = openSqliteStore({ path: './data' });
 * const broker = new Broker(store, { allowAnonymous: true });
 * await broker.start();
 * const listener = await startTcpListener('127.0.0.1', 1883, broker.handle.bind(broker));
 */
export { Broker } from './broker.js';
export { BROKER_DEFAULTS, normalizeBrokerOptions, type BrokerOptions } from './options.js';
export { openAccess, type AccessControl, type AclDecision, type AclSubject, type AuthFailure, type AuthResult, type ConnectInfo, type Identity } from './access.js';
export { ProtocolError, type ProtocolErrorCode } from './protocol-error.js';
export type { Listener, StreamHandler, StreamMeta } from './listeners/listener.js';
export { startTcpListener } from './listeners/tcp-listener.js';
export { startTlsListener } from './listeners/tls-listener.js';
export { startWsListener } from './listeners/ws-listener.js';
export type * from './store/contract.js';
export { StoreError, type StoreErrorCode } from './store/store-error.js';
export { checkOffset, checkQueueName, distinctQueues, isExpired } from './store/store-args.js';
export { filterQueue, firstLevelQueue, queueForFilter, queuesFor, serverQueue, topicQueue } from './store/queue-names.js';
export { startRetention, type RetentionTimer } from './store/retention-timer.js';
export { createMemoryStore } from './store/memory/memory-store.js';
export { openSqliteStore, SQLITE_FILE_NAME, type SqliteBrokerStore, type SqliteStoreOptions } from './store/sqlite/sqlite-store.js';
export { MessageCache } from './store/sqlite/message-cache.js';
