import { type Logger, silentLogger } from '@causeway/shared';
import { openAccess, type AccessControl, type Identity } from './access.js';

/** What the broker enforces; every default lives here (see normalizeBrokerOptions). */
export interface BrokerOptions {
  /** largest packet accepted from a client, bytes (v5 Maximum Packet Size we announce) */
  maxPacketSize: number;
  /** inbound QoS 1/2 publishes a client may have unacknowledged (the Receive Maximum we announce) */
  maxInflight: number;
  /**
   * outbound QoS 1/2 deliveries awaiting the client's acknowledgement, per connection (a v5 client's own
   * Receive Maximum lowers it). Separate from maxInflight: a wide outbound window lets one subscriber keep
   * up with many publishers (each freed slot otherwise waits a PUBACK round trip), while the inbound window
   * stays what each publisher needs.
   */
  maxOutboundInflight: number;
  /** messages a session may lag behind a queue before the oldest are skipped (slow consumer) */
  maxQueuedPerSession: number;
  /** connections accepted at once; more are refused */
  maxConnections: number;
  /** connections accepted at once from one remote address (0 = no limit) */
  maxConnectionsPerSource: number;
  /**
   * distinct telemetry/events topics (light queues) one gateway may publish on; past it its publishes
   * on new ones are refused (v5 0x97) or, for 3.1.1, acknowledged and dropped; counted. 0 = no limit
   */
  /** largest keep-alive we accept (s); a client asking for more (or 0) gets this as Server Keep Alive (v5). 0 = any */
  maxKeepAlive: number;
  /** largest session expiry we grant (s) */
  maxSessionExpiry: number;
  /** inbound topic aliases we accept per connection (v5) */
  topicAliasMaximum: number;
  /** ms a new connection has to send CONNECT */
  connectTimeoutMs: number;
  /** ms between durable commits of the read positions of connected persistent sessions */
  offsetCommitIntervalMs: number;
  allowAnonymous: boolean;
  /**
   * Index every topic into its light queue (`t:…`), held or not. Off (the default), a topic's light queue
   * is written only while a session of this broker holds the exact topic: no reader could use the entries
   * of one nobody holds, since a new subscription starts at the queue's end (issue 15: an unheld light
   * queue cost a B-tree leaf per topic per commit). On for a store shared by several nodes (JetStream),
   * where a session on another node may hold the topic.
   */
  indexEveryTopic: boolean;
  /** who a client is and what it may do; default: openAccess(allowAnonymous) */
  access: AccessControl;
  /** called after every durable append with the topic (server-side queues wake long-polls) */
  onAppend?: (topic: string) => void;
  /**
   * The dedupe key of an inbound publish, if its payload carries one (the cloud gives Causeway's envelope
   * rule, `envelopeDedupeKey`); a message with a key already stored is acknowledged and not stored again.
   * Absent: nothing is deduplicated (the broker core knows no payload format).
   */
  dedupeKey?: (clientId: string, topic: string, payload: Buffer) => { key?: string; undecodable?: string };
  /**
   * The server-side queues (stored names) a message on `topic` also goes to, besides the light queues the
   * broker keeps for its own subscriptions; the cloud gives Causeway's rule, the first topic level
   * (`firstLevelQueue`). Absent: none. It must depend on the topic alone: the broker asks once per topic
   * and remembers the answer.
   */
  serverQueues?: (topic: string) => readonly string[];
  /**
   * May `who` publish on `topic`, as far as a quota of topics goes (the cloud gives a per-gateway limit of
   * light queues, limits.maxQueuesPerGateway)? false: refused with 0x97 on MQTT 5, acknowledged and dropped
   * on 3.1.1, counted. Absent: no quota.
   */
  admitTopic?: (who: Identity, topic: string) => boolean;
  /**
   * Called once per SUBSCRIBE, after its SUBACK, with the filters it added to the session (granted, and
   * not there before); not called when it added none. The cloud sends again what went to a gateway while
   * it had no command subscription.
   */
  onSubscribed?: (who: Identity, clientId: string, added: readonly string[]) => void;
  logger: Logger;
}

export const BROKER_DEFAULTS: Readonly<Omit<BrokerOptions, 'logger' | 'access' | 'onAppend' | 'dedupeKey' | 'serverQueues' | 'admitTopic' | 'onSubscribed'>> = Object.freeze({
  maxPacketSize: 1024 * 1024,
  maxInflight: 64,
  maxOutboundInflight: 512,
  maxQueuedPerSession: 100_000,
  maxConnections: 10_000,
  maxConnectionsPerSource: 1000,
  maxKeepAlive: 0,
  maxSessionExpiry: 7 * 24 * 3600,
  topicAliasMaximum: 32,
  connectTimeoutMs: 10_000,
  offsetCommitIntervalMs: 1000,
  allowAnonymous: true,
  indexEveryTopic: false,
});

export function normalizeBrokerOptions(opts: Partial<BrokerOptions> = {}): Readonly<BrokerOptions> {
  const out: BrokerOptions = { ...BROKER_DEFAULTS, logger: silentLogger, access: openAccess(opts.allowAnonymous ?? BROKER_DEFAULTS.allowAnonymous) };
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  out.maxInflight = Math.min(Math.max(1, out.maxInflight), 65535);
  out.maxOutboundInflight = Math.min(Math.max(1, out.maxOutboundInflight), 65535);
  return Object.freeze(out);
}
