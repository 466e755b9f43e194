import type { Identity } from './access.js';
import type { Duplex } from 'node:stream';
import mqtt from 'mqtt-packet';
import type { IPublishPacket, Packet } from 'mqtt-packet';
import type { BrokerOperations, HandlerConnection } from './handlers/context.js';
import type { BrokerOptions } from './options.js';
import { ProtocolError } from './protocol-error.js';
import { CONNACK_V4, RC, parserErrorCode, reasonFor } from './reason-codes.js';
import type { OutgoingPublish, Session } from './session.js';
import type { Will } from './will.js';
import { MIN_ALIASED_TOPIC_LENGTH, type OutboundTopicAliases } from './outbound-aliases.js';
import { route } from './handlers/index.js';
import { encodePlainPublish } from './publish-encoding.js';
import { encodePlainAck } from './ack-encoding.js';
import { clip } from '@causeway/shared';

/** Packets parsed but not handled, or QoS 0 appends outstanding, before the socket is no longer read. */
const PENDING_LIMIT = 1024;

/** What a connection needs from the broker that serves it: its handlers' operations, and its own life cycle. */
export interface ConnectionHost extends BrokerOperations {
  readonly options: Readonly<BrokerOptions>;
  /** shutting down: wills are no longer published */
  readonly closing: boolean;
  publishWill(clientId: string, will: Will): void;
  /** The link went away: keep a persistent session, end a clean one. */
  detach(session: Session): Promise<void>;
  /** Background work a broker close must wait for. */
  trackTask(p: Promise<unknown>): void;
  /** The connection closed or was refused: no longer served. */
  connectionClosed(conn: Connection): void;
}

/**
 * One client connection over any duplex stream: parses packets in order, hands each to its handler,
 * writes replies, enforces keep-alive and packet size, and on any protocol error closes with the right
 * reason code (v5) or just closes (3.1.1), counting it. Other clients are never affected.
 */
export class Connection implements HandlerConnection {
  readonly broker: ConnectionHost;
  readonly stream: Duplex;
  /** 0 until CONNECT */
  version: 0 | 3 | 4 | 5 = 0;
  /** Mosquitto bridge (protocol version | 0x80) */
  bridge = false;
  connected = false;
  clientId = '';
  username: string | undefined;
  session: Session | undefined;
  will: Will | undefined;
  receiveMaximum: number;
  clientMaxPacketSize = Number.POSITIVE_INFINITY;
  readonly inboundAliases = new Map<number, string>();
  /** aliases we assign on deliveries, when the v5 client's CONNECT allowed them (Topic Alias Maximum) */
  outboundAliases: OutboundTopicAliases | undefined;
  /** resolves once the session let go of this connection (saved or discarded) */
  detached: Promise<void> = Promise.resolve();
  /** peer address (per-source auth limits, logs) */
  readonly remoteAddress: string;
  /** CN of a verified TLS client certificate */
  certificateId: string | undefined;
  /** SHA-256 of that certificate (DER), lowercase hex: a registry entry may pin the one certificate it accepts */
  certificateSha256: string | undefined;
  /** who the client authenticated as; set by CONNECT */
  identity: Identity | undefined;
  /** QoS 1/2 publishes received and not yet acknowledged (waiting for the store) */
  pendingInbound = 0;
  writable = true;
  closed = false;
  /** DISCONNECT received (normal): the will is dropped [MQTT-3.14.4-3] */
  cleanDisconnect = false;
  readonly #parser = mqtt.parser();
  #chain: Promise<void> = Promise.resolve();
  #ackChain: Promise<void> = Promise.resolve();
  #sawConnect = false;
  #appending = 0;
  #queued = 0;
  #keepAliveMs = 0;
  #keepAliveTimer: NodeJS.Timeout | undefined;
  #connectTimer: NodeJS.Timeout | undefined;
  #corked = false;
  readonly #uncork = (): void => {
    this.#corked = false;
    this.stream.uncork();
  };

  constructor(broker: ConnectionHost, stream: Duplex, meta: { remoteAddress?: string; certificateId?: string; certificateSha256?: string } = {}) {
    this.broker = broker;
    this.stream = stream;
    this.remoteAddress = meta.remoteAddress ?? (stream as { remoteAddress?: string }).remoteAddress ?? 'local';
    if (meta.certificateId !== undefined) this.certificateId = meta.certificateId;
    if (meta.certificateSha256 !== undefined) this.certificateSha256 = meta.certificateSha256;
    this.receiveMaximum = broker.options.maxInflight;
    this.#parser.on('packet', (p: Packet) => this.#onPacket(p));
    this.#parser.on('error', (err: Error) => this.fail(new ProtocolError(parserErrorCode(err.message), err.message, { cause: err })));
    stream.on('data', (buf: Buffer) => this.#onData(buf));
    stream.on('error', () => this.close());
    stream.on('end', () => this.close());
    stream.on('close', () => this.close());
    stream.on('drain', () => {
      this.writable = true;
      if (this.session !== undefined && this.session.link === this) broker.wake(this.session);
    });
    this.#connectTimer = setTimeout(() => this.fail(new ProtocolError('MQTT_PROTOCOL', 'no CONNECT in time')), broker.options.connectTimeoutMs);
    this.#connectTimer.unref();
  }

  #onData(buf: Buffer): void {
    if (this.closed) return;
    this.#parser.parse(buf);
    // Refuse an oversized packet as soon as its length is known, before buffering it [MQTT-3.2.2-15].
    const len = (this.#parser as unknown as { packet: { length: number } }).packet.length;
    if (len > this.broker.options.maxPacketSize) {
      this.fail(new ProtocolError('MQTT_PACKET_TOO_LARGE', `packet of ${len} bytes exceeds ${this.broker.options.maxPacketSize}`));
    }
  }

  #onPacket(p: Packet): void {
    if (this.closed) return;
    // A packet that arrived whole in one read was parsed before #onData could look at its length.
    if ((p.length ?? 0) > this.broker.options.maxPacketSize) {
      this.fail(new ProtocolError('MQTT_PACKET_TOO_LARGE', `packet of ${p.length} bytes exceeds ${this.broker.options.maxPacketSize}`));
      return;
    }
    this.broker.counters.packetsIn++;
    this.#touchKeepAlive();
    // Packets pipelined right behind CONNECT wait on the chain for it; anything else first is refused.
    if (p.cmd === 'connect') this.#sawConnect = true;
    else if (!this.#sawConnect) {
      this.fail(new ProtocolError('MQTT_NOT_CONNECT_FIRST', `first packet was ${p.cmd}, not CONNECT [MQTT-3.1.0-1]`));
      return;
    }
    // Bounded input: packets parsed but not yet handled count too, since one read can hold thousands.
    this.#queued++;
    if (this.#queued >= PENDING_LIMIT) this.stream.pause();
    this.#chain = this.#chain
      .then(() => (this.closed ? undefined : route(this, p)))
      .catch((err: unknown) => this.fail(err))
      .finally(() => {
        this.#queued--;
        this.resumeIfDrained();
      });
  }

  /**
   * Holds reading while too many appends of this connection are outstanding, so a client flooding
   * QoS 0 (which has no acknowledgement to throttle it) costs bounded memory.
   */
  trackAppend(committed: Promise<unknown>): void {
    this.#appending++;
    if (this.#appending >= PENDING_LIMIT) this.stream.pause();
    void committed
      .catch(() => undefined)
      .finally(() => {
        this.#appending--;
        this.resumeIfDrained();
      });
  }

  pauseReading(): void {
    this.stream.pause();
  }

  /** Resumes reading once queued packets, QoS 0 appends and unacknowledged QoS 1/2 publishes are all below their limits. */
  resumeIfDrained(): void {
    if (this.closed || !this.stream.isPaused()) return;
    if (this.#queued < PENDING_LIMIT && this.#appending < PENDING_LIMIT && this.pendingInbound < this.broker.options.maxInflight) this.stream.resume();
  }

  /** Queues an acknowledgement that must wait for `committed`, keeping acks in PUBLISH order [MQTT-4.6.0-2]. */
  ackAfter(committed: Promise<unknown>, ack: () => void): void {
    this.#ackChain = this.#ackChain.then(async () => {
      try {
        await committed;
      } catch (err) {
        this.fail(err);
        return;
      }
      ack();
    });
  }

  setKeepAlive(seconds: number): void {
    this.#keepAliveMs = seconds * 1500; // 1.5 × keep alive [MQTT-3.1.2-24]
    if (this.#connectTimer !== undefined) clearTimeout(this.#connectTimer);
    this.#touchKeepAlive();
  }

  #touchKeepAlive(): void {
    if (this.#keepAliveMs <= 0 || this.closed) return;
    if (this.#keepAliveTimer !== undefined) this.#keepAliveTimer.refresh();
    else {
      this.#keepAliveTimer = setTimeout(() => this.fail(new ProtocolError('MQTT_KEEP_ALIVE_TIMEOUT', `no packet within ${this.#keepAliveMs} ms`)), this.#keepAliveMs);
      this.#keepAliveTimer.unref();
    }
  }

  /** Writes a packet; false when the socket buffer is full. */
  send(packet: Packet): boolean {
    if (this.closed || this.stream.destroyed) return false;
    const version = this.version === 0 ? 4 : this.version;
    return this.#write(encodePlainAck(packet, version) ?? mqtt.generate(packet, { protocolVersion: version }));
  }

  #write(buf: Buffer): boolean {
    this.broker.counters.packetsOut++;
    // Everything written in this tick goes out in one writev: a pump writes many PUBLISHes, a commit many
    // PUBACKs, and one syscall each was a fifth of the broker's CPU in fan-out (issue 15).
    if (!this.#corked) {
      this.#corked = true;
      this.stream.cork();
      process.nextTick(this.#uncork);
    }
    const ok = this.stream.write(buf);
    if (!ok) this.writable = false;
    return ok;
  }

  sendPublish(p: OutgoingPublish): boolean {
    const m = p.message;
    const plain = this.version !== 5 || (m.meta === undefined && m.expiresAt === undefined && p.subscriptionIds.length === 0 && this.outboundAliases === undefined);
    if (plain && this.version !== 0) return this.#writePublish(p, encodePlainPublish(m, p.qos, p.retain, p.dup, this.version, p.packetId));
    const packet: IPublishPacket = { cmd: 'publish', topic: m.topic, payload: m.payload, qos: p.qos, dup: p.dup, retain: p.retain };
    if (p.packetId !== undefined) packet.messageId = p.packetId;
    let newAlias = false;
    if (this.version === 5) {
      const props: NonNullable<IPublishPacket['properties']> = {};
      const meta = m.meta;
      if (meta?.contentType !== undefined) props.contentType = meta.contentType;
      if (meta?.responseTopic !== undefined) props.responseTopic = meta.responseTopic;
      if (meta?.correlationData !== undefined) props.correlationData = meta.correlationData;
      if (meta?.payloadFormatIndicator !== undefined) props.payloadFormatIndicator = meta.payloadFormatIndicator;
      if (meta?.userProperties !== undefined) props.userProperties = meta.userProperties;
      // The receiver sees the remaining lifetime [MQTT-3.3.2-6].
      if (m.expiresAt !== undefined) props.messageExpiryInterval = Math.max(1, Math.ceil((m.expiresAt - Date.now()) / 1000));
      if (p.subscriptionIds.length > 0) props.subscriptionIdentifier = p.subscriptionIds.length === 1 ? p.subscriptionIds[0]! : p.subscriptionIds;
      const aliases = this.outboundAliases;
      // QoS 2 deliveries keep their topic: MQTT.js (5.16) emits a QoS 2 message at PUBREL from the packet
      // it stored, whose topic is the empty one an alias left (broker/test/topic-aliases.test.ts).
      if (aliases !== undefined && p.qos < 2 && m.topic.length >= MIN_ALIASED_TOPIC_LENGTH) {
        // A known alias replaces the topic; a new one travels with it (§3.3.2.3.4).
        let alias = aliases.known(m.topic);
        if (alias > 0) packet.topic = '';
        else {
          alias = aliases.assign(m.topic);
          newAlias = alias > 0;
        }
        if (alias > 0) props.topicAlias = alias;
      }
      if (Object.keys(props).length > 0) packet.properties = props;
    }
    // Encoded once: its length decides whether the client takes it, and the same bytes are written.
    const buf = mqtt.generate(packet, { protocolVersion: this.version });
    const sent = this.#writePublish(p, buf);
    // Too big for this client: an alias it set was never learnt.
    if (newAlias && buf.length > this.clientMaxPacketSize) this.outboundAliases!.forget(m.topic);
    return sent;
  }

  #writePublish(p: OutgoingPublish, buf: Buffer): boolean {
    if (buf.length > this.clientMaxPacketSize) {
      // Too big for this client: discard as if delivered [MQTT-3.1.2-25].
      this.broker.counters.oversizedDrops++;
      if (p.packetId !== undefined) this.session?.completed(p.packetId);
      return true;
    }
    this.broker.counters.publishesOut++;
    if (this.closed || this.stream.destroyed) return false;
    return this.#write(buf);
  }

  sendPubrel(packetId: number): void {
    this.send({ cmd: 'pubrel', messageId: packetId });
  }

  /** Refuses a connection before CONNECT is read (server busy / shutting down). */
  refuseBusy(): void {
    this.closed = true;
    this.broker.connectionClosed(this);
    this.stream.destroy();
  }

  /** CONNACK with a failure code, then close [MQTT-3.2.2-7]. */
  refuse(v5Code: number, v4Code: number): void {
    if (this.version === 5) this.send({ cmd: 'connack', sessionPresent: false, reasonCode: v5Code });
    else this.send({ cmd: 'connack', sessionPresent: false, returnCode: v4Code });
    this.close();
  }

  /** Ends the connection for `err`: counted, logged, and told to a v5 client with its reason code. */
  fail(err: unknown): void {
    if (this.closed) return;
    const { reasonCode, counter } = reasonFor(err);
    this.broker.counters[counter]++;
    const e = err as { code?: string; message?: string };
    const fields = { clientId: clip(this.clientId), remoteAddress: this.remoteAddress, code: e.code, reason: e.message, reasonCode };
    // Before CONNECT is accepted the peer is unknown and may repeat at will: rate-limit (issue 23 item 7).
    if (this.connected) this.broker.log.warn('closing connection', fields);
    else this.broker.refusals.warn(`fail|${String(e.code)}|${this.remoteAddress}`, 'closing connection', fields);
    if (this.version === 5) {
      if (this.connected) this.send({ cmd: 'disconnect', reasonCode });
      else this.send({ cmd: 'connack', sessionPresent: false, reasonCode });
    } else if (!this.connected && this.version !== 0 && reasonCode === RC.UNSUPPORTED_PROTOCOL_VERSION) {
      this.send({ cmd: 'connack', sessionPresent: false, returnCode: CONNACK_V4.UNACCEPTABLE_PROTOCOL_VERSION });
    }
    this.close();
  }

  /** Server shutdown: v5 clients are told 0x8B; their wills are not published. */
  shutdown(): void {
    this.cleanDisconnect = true;
    if (this.version === 5 && this.connected) this.send({ cmd: 'disconnect', reasonCode: RC.SERVER_SHUTTING_DOWN });
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.writable = false;
    if (this.#keepAliveTimer !== undefined) clearTimeout(this.#keepAliveTimer);
    if (this.#connectTimer !== undefined) clearTimeout(this.#connectTimer);
    this.stream.end();
    const destroy = setTimeout(() => this.stream.destroy(), 1000);
    destroy.unref();
    this.stream.once('close', () => clearTimeout(destroy));
    const b = this.broker;
    b.connectionClosed(this);
    if (this.connected && this.identity !== undefined) b.options.access.disconnected?.(this.identity, this.clientId);
    const s = this.session;
    const will = this.will;
    if (will !== undefined && !this.cleanDisconnect && !b.closing) {
      // The will waits no longer than the session lives [MQTT-3.1.3-9].
      const delay = s === undefined ? 0 : Math.min(will.delay, s.expiryInterval);
      b.publishWill(this.clientId, { ...will, delay });
    }
    if (s !== undefined && s.link === this) {
      this.detached = b.detach(s);
      b.trackTask(this.detached);
    }
  }
}
