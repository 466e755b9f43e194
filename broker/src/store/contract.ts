import type { MessageProperties, QoS } from '@causeway/shared';

/**
 * The storage contract of the cloud broker: store once, read-amplify (RocketMQ-MQTT's
 * `LmqQueueStore.putMessage(queues, message)`). A published message is appended to the log ONCE and
 * indexed into every queue it belongs to; readers hold only offsets.
 *
 * Queue names (see queue-names.ts):
 * - first-level queue: `q:telemetry` (the server-side queue `telemetry` that backend apps consume)
 * - light queue of an exact topic: `t:telemetry/gw1/dev1/temp`
 * - light queue of a wildcard filter: `f:telemetry/+/+/temp`
 * The broker names a light queue only while one of its sessions holds the filter (or, on a store shared
 * by several nodes, every topic's `t:` queue: `BrokerOptions.indexEveryTopic`; the JetStream log adds the
 * `f:` queues of other nodes' wildcard filters itself).
 *
 * Every implementation (memory, SQLite, JetStream) runs `describeStoreContract` in
 * broker/test/store/store-contract.ts.
 */

/** MQTT 5 publish properties kept with a message so they can be forwarded. */
export interface PublishMeta {
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  payloadFormatIndicator?: boolean;
  userProperties?: Record<string, string | string[]>;
}

/** A message as handed to the log. */
export interface NewMessage {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  /** the MQ-for-MQTT property mapping (mqttSecondTopic, qoslevel, clientId, cleansessionflag, mqttRealTopic) */
  properties: MessageProperties;
  meta?: PublishMeta;
  /** ms since the epoch */
  createdAt: number;
  /** ms since the epoch after which it must not be delivered (v5 message expiry) */
  expiresAt?: number;
}

/** A message as stored: NewMessage plus its log id. Ids are unique and increase with append order. */
export interface StoredMessage extends NewMessage {
  id: number;
}

export interface QueueEntry {
  queue: string;
  /** position in that queue; offsets start at 1 and increase by 1 per entry */
  offset: number;
  message: StoredMessage;
}

export interface AppendOptions {
  /**
   * Duplicate suppression key (e.g. `${gatewayId}:${envelopeId}`). If a message with the same key was
   * appended before (within the dedupe retention), nothing is written and `duplicate` is true. The check
   * and the insert are one atomic step.
   */
  dedupeKey?: string;
}

export type AppendResult =
  | { duplicate: false; id: number; offsets: Record<string, number> }
  | { duplicate: true };

export interface RetentionPolicy {
  /** drop log records older than this (ms); 0 = keep */
  maxAgeMs: number;
  /** drop oldest records while the log is larger than this (payload bytes); 0 = unbounded */
  maxBytes: number;
}

/** The log of messages and the queues indexed over it. */
export interface MessageLog {
  /**
   * Appends one message and indexes it into every queue in `queues` (duplicates in the list are
   * ignored). Resolves only once the record is durable for the backend (the SQLite backend resolves after
   * the group-commit transaction that holds it has committed), so callers may acknowledge afterwards.
   */
  append(message: NewMessage, queues: readonly string[], options?: AppendOptions): Promise<AppendResult>;
  /** Up to `max` entries of `queue` with offset ≥ fromOffset, in offset order. Expired or pruned messages are skipped. */
  read(queue: string, fromOffset: number, max: number): Promise<QueueEntry[]>;
  /** The offset the next entry of `queue` will get (1 for an empty queue). */
  nextOffset(queue: string): Promise<number>;
  /** First offset still readable in `queue` (after retention), or nextOffset when empty. */
  firstOffset(queue: string): Promise<number>;
  /** First offset in `queue` of a message created at or after `timeMs` (replay by time). */
  offsetForTime(queue: string, timeMs: number): Promise<number>;
  /** One message by id. */
  get(id: number): Promise<StoredMessage | undefined>;
  /** Applies retention; returns how many records were removed. */
  prune(policy: RetentionPolicy, now?: number): Promise<number>;
  /** Records and payload bytes held. */
  stats(): Promise<{ messages: number; bytes: number; queues: number }>;
}

/** Committed positions of named consumers (persistent sessions, consumer groups) per queue. */
export interface OffsetStore {
  /** The committed offset: the next offset this consumer will read; undefined if never committed. */
  getOffset(consumer: string, queue: string): Promise<number | undefined>;
  setOffset(consumer: string, queue: string, offset: number): Promise<void>;
  /** Every queue the consumer has an offset in. */
  listOffsets(consumer: string): Promise<Record<string, number>>;
  deleteConsumer(consumer: string): Promise<void>;
}

/** Retained messages: at most one per topic, pointing at a log record (or holding its own copy). */
export interface RetainedStore {
  /** Sets the retained message of message.topic; an empty payload clears it [MQTT-3.3.1-10]. */
  setRetained(message: StoredMessage): Promise<void>;
  /** Retained messages whose topic matches the filter. */
  matchRetained(filter: string): Promise<StoredMessage[]>;
  countRetained(): Promise<number>;
}

/** What survives of a persistent session while its client is away. */
export interface SessionState {
  clientId: string;
  /** protocol version the client used last */
  protocolVersion: 3 | 4 | 5;
  /** seconds; 0xFFFFFFFF = never expires */
  expiryInterval: number;
  /** ms since the epoch when the client disconnected; undefined while connected */
  disconnectedAt?: number;
  subscriptions: SubscriptionState[];
  /** packet ids of inbound QoS 2 publishes received (PUBREC sent) but not yet released [MQTT-4.3.3] */
  inboundQos2: number[];
  /** outbound messages sent but not yet fully acknowledged, to resend with DUP on reconnect */
  outbound: OutboundState[];
}

export interface SubscriptionState {
  filter: string;
  qos: QoS;
  noLocal?: boolean;
  retainAsPublished?: boolean;
  retainHandling?: 0 | 1 | 2;
  subscriptionId?: number;
  /** `$share/{group}/…` group name */
  shareGroup?: string;
}

export interface OutboundState {
  packetId: number;
  messageId: number;
  qos: QoS;
  /** 'publish' = waiting for PUBACK/PUBREC; 'pubrel' = PUBREL sent, waiting for PUBCOMP */
  stage: 'publish' | 'pubrel';
}

export interface SessionStore {
  getSession(clientId: string): Promise<SessionState | undefined>;
  putSession(state: SessionState): Promise<void>;
  deleteSession(clientId: string): Promise<void>;
  listSessions(): Promise<SessionState[]>;
}

/** A whole backend: what `store.backend` selects. */
export interface BrokerStore {
  readonly log: MessageLog;
  readonly offsets: OffsetStore;
  readonly retained: RetainedStore;
  readonly sessions: SessionStore;
  /** Generic durable key/value (device registry, command states) for later features. */
  close(): Promise<void>;
}
