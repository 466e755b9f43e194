import type { ThrottledLog } from '@causeway/shared';
import type { Packet } from 'mqtt-packet';
import type { Identity } from '../access.js';
import type { BrokerCounters } from '../counters.js';
import type { BrokerOptions } from '../options.js';
import type { PublishInput } from '../publish-input.js';
import type { DeliveryLink, Session } from '../session.js';
import type { AppendResult, StoredMessage } from '../store/contract.js';
import type { Subscription } from '../subscription.js';
import type { Will } from '../will.js';
import type { OutboundTopicAliases } from '../outbound-aliases.js';

/**
 * What the packet handlers see: their own connection and a small set of broker operations. The handlers
 * import neither the Connection nor the Broker, so neither can grow into the other through them (issue 14).
 */

/** The limits and hooks a handler reads; the rest of the options are the broker's and the connection's. */
export type HandlerOptions = Readonly<
  Pick<BrokerOptions, 'access' | 'dedupeKey' | 'onSubscribed' | 'maxInflight' | 'maxOutboundInflight' | 'maxPacketSize' | 'maxKeepAlive' | 'maxSessionExpiry' | 'topicAliasMaximum'>
>;

/** What a handler may ask of the broker that serves its connection. */
export interface BrokerOperations {
  readonly options: HandlerOptions;
  readonly counters: BrokerCounters;
  readonly log: BrokerOptions['logger'];
  /** refusal warnings a peer can provoke at will, rate-limited per key (issue 23 item 7) */
  readonly refusals: Pick<ThrottledLog, 'warn'>;

  /** A new connection for the client cancels its will still waiting for its delay [MQTT-3.1.3-9]. */
  cancelWill(clientId: string): void;
  /** The live session of `clientId` on this node, if any. */
  sessionOf(clientId: string): Session | undefined;
  /** Closes the connection holding `session` for `reason`; resolves once it let go of the session (saved or ended). */
  takeOver(session: Session, reason: Error): Promise<void>;
  /** A persistent session saved by another node sharing the store, restored here; undefined if none. */
  loadStoredSession(clientId: string): Promise<Session | undefined>;
  /** Ends a session: its subscriptions, its in-flight state and what the store kept of it. */
  discardSession(session: Session): Promise<void>;
  /** Creates and registers an empty session for `clientId`. */
  openSession(clientId: string): Session;
  /** Saves the session's state to the store. */
  persistSession(session: Session): Promise<void>;
  /** Connects a session to its live connection: follow its subscriptions, re-send in-flight, catch up. */
  attach(session: Session, conn: HandlerConnection): void;
  /** After an ack: the session (and its shared groups) may take more. */
  wake(session: Session): void;

  /** Appends once, indexes into every queue, keeps retained; resolves after the commit. */
  publish(input: PublishInput, dedupeKey?: string): Promise<AppendResult>;
  /** True when `who` may publish on `topic` as far as its owner's topic quota goes (`BrokerOptions.admitTopic`). */
  admitTopic(who: Identity, topic: string): boolean;
  /** Adds or replaces a subscription; true if one with the same filter existed. */
  subscribe(session: Session, sub: Subscription): Promise<boolean>;
  /** Removes a subscription; true if it existed. */
  unsubscribe(session: Session, filter: string): Promise<boolean>;
  /** The retained messages whose topics may match `topicFilter` (the caller matches exactly). */
  retainedFor(topicFilter: string): Promise<StoredMessage[]>;
}

/** The connection as its handlers see it: what CONNECT sets, and what a handler may do on it. */
export interface HandlerConnection extends DeliveryLink {
  readonly broker: BrokerOperations;
  /** 0 until CONNECT */
  version: 0 | 3 | 4 | 5;
  /** Mosquitto bridge (protocol version | 0x80) */
  bridge: boolean;
  connected: boolean;
  clientId: string;
  /** the CONNECT username, if any (operator ACL rules name clients by it) */
  username: string | undefined;
  session: Session | undefined;
  will: Will | undefined;
  /** who the client authenticated as; set by CONNECT */
  identity: Identity | undefined;
  /** the client's Receive Maximum (v5), capped by ours */
  receiveMaximum: number;
  clientMaxPacketSize: number;
  inboundAliases: Map<number, string> | undefined;
  /** aliases we assign on deliveries, when the v5 client's CONNECT allowed them (Topic Alias Maximum) */
  outboundAliases: OutboundTopicAliases | undefined;
  readonly remoteAddress: string;
  /** CN of a verified TLS client certificate */
  readonly certificateId: string | undefined;
  readonly certificateSha256: string | undefined;
  /** QoS 1/2 publishes received and not yet acknowledged (waiting for the store) */
  pendingInbound: number;
  readonly closed: boolean;
  /** DISCONNECT received (normal): the will is dropped [MQTT-3.14.4-3] */
  cleanDisconnect: boolean;
  /** resolves once the session let go of this connection (saved or discarded) */
  readonly detached: Promise<void>;

  /** Writes a packet; false when the socket buffer is full. */
  send(packet: Packet): boolean;
  /** Queues an acknowledgement that must wait for `committed`, keeping acks in PUBLISH order [MQTT-4.6.0-2]. */
  ackAfter(committed: Promise<unknown>, ack: () => void): void;
  /** Holds reading while too many QoS 0 appends of this connection are outstanding. */
  trackAppend(committed: Promise<unknown>): void;
  /** Stops reading the socket (a 3.1.1 client past the in-flight limit is slowed down this way). */
  pauseReading(): void;
  /** Resumes reading once everything outstanding is below its limit. */
  resumeIfDrained(): void;
  setKeepAlive(seconds: number): void;
  /** CONNACK with a failure code, then close [MQTT-3.2.2-7]. */
  refuse(v5Code: number, v4Code: number): void;
  /** Ends the connection for `err`: counted, logged, and told to a v5 client with its reason code. */
  fail(err: unknown): void;
  close(): void;
}
