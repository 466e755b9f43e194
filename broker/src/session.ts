import type { QoS } from '@causeway/shared';
import type { MessageLog, OutboundState, SessionState, StoredMessage } from './store/contract.js';
import type { BrokerCounters } from './counters.js';
import { mergeReads, type Position, type QueueRead } from './merge-reads.js';
import { toSubscriptionState, type Subscription } from './subscription.js';

/** A PUBLISH the session wants written. */
export interface OutgoingPublish {
  message: StoredMessage;
  qos: QoS;
  packetId?: number;
  dup: boolean;
  retain: boolean;
  subscriptionIds: number[];
}

/** What a session needs from its live connection. */
export interface DeliveryLink {
  /** the client's Receive Maximum, capped by ours */
  readonly receiveMaximum: number;
  /** false while the socket's buffer is full; the connection re-pumps on 'drain' */
  readonly writable: boolean;
  /** writes a PUBLISH; returns false when the socket buffer is now full */
  sendPublish(p: OutgoingPublish): boolean;
  sendPubrel(packetId: number): void;
}

export interface DeliveryContext {
  log: MessageLog;
  /** next offset of each light queue as last seen by this broker (from append results) */
  heads: Map<string, number>;
  counters: BrokerCounters;
  maxQueued: number;
  now(): number;
}

interface Inflight {
  packetId: number;
  message: StoredMessage;
  qos: 1 | 2;
  stage: 'publish' | 'pubrel';
  /** queue positions this delivery consumed; they stay uncommitted until the client acknowledges */
  positions: Position[];
  retain: boolean;
  subscriptionIds: number[];
  /** the shared subscription it was delivered for, so it can go to another member if this session ends */
  groupKey?: string;
}

const READ_BATCH = 64;
const MAX_ROUNDS = 64;

/**
 * One MQTT session: subscriptions, read positions in light queues, and the QoS 1/2 state of both
 * directions. Delivery is pull: when notified it reads its queues from its own offsets, merges them
 * (each message once, at the highest granted QoS) and writes as much as the in-flight window and the
 * socket allow. A slow consumer costs log reads, never broker memory.
 */
/** What an absent collection reads as: empty, and never changed (changes go to a made one). */
const NONE: ReadonlyMap<unknown, unknown> = new Map();
const NO_IDS: ReadonlySet<number> = new Set();

export class Session {
  readonly clientId: string;
  protocolVersion: 3 | 4 | 5 = 4;
  /** seconds the session outlives its connection; 0 = it ends with it */
  expiryInterval = 0;
  // Each collection is made at its first entry: an idle client with no subscription and nothing in
  // flight holds none (five empty Maps and Sets were ~0.9 KB of every idle connection, issue 15).
  // Reads go through the getters below (an empty shared instance when there is none); changes go
  // through the `…ForChange()` methods, which make it.
  #subscriptions: Map<string, Subscription> | undefined;
  #readOffsets: Map<string, number> | undefined;
  #inboundQos2: Set<number> | undefined;
  #resendIds: Set<number> | undefined;
  link: DeliveryLink | undefined;
  /** read positions changed since the last durable commit */
  dirty = false;
  #inflightMap: Map<number, Inflight> | undefined;
  readonly #ctx: DeliveryContext;
  #nextPacketId = 1;
  #pumping = false;
  #again = false;

  constructor(clientId: string, ctx: DeliveryContext) {
    this.clientId = clientId;
    this.#ctx = ctx;
  }

  get subscriptions(): ReadonlyMap<string, Subscription> {
    return this.#subscriptions ?? (NONE as ReadonlyMap<string, Subscription>);
  }

  subscriptionsForChange(): Map<string, Subscription> {
    return (this.#subscriptions ??= new Map());
  }

  get readOffsets(): ReadonlyMap<string, number> {
    return this.#readOffsets ?? (NONE as ReadonlyMap<string, number>);
  }

  readOffsetsForChange(): Map<string, number> {
    return (this.#readOffsets ??= new Map());
  }

  get inboundQos2(): ReadonlySet<number> {
    return this.#inboundQos2 ?? NO_IDS;
  }

  inboundQos2ForChange(): Set<number> {
    return (this.#inboundQos2 ??= new Set());
  }

  /** message ids sent before a restart and not acknowledged: re-sent with DUP [MQTT-4.4.0-1] */
  get resendIds(): ReadonlySet<number> {
    return this.#resendIds ?? NO_IDS;
  }

  resendIdsForChange(): Set<number> {
    return (this.#resendIds ??= new Set());
  }

  get #inflight(): ReadonlyMap<number, Inflight> {
    return this.#inflightMap ?? (NONE as ReadonlyMap<number, Inflight>);
  }

  get persistent(): boolean {
    return this.expiryInterval > 0;
  }

  get inflightCount(): number {
    return this.#inflight.size;
  }

  /** True when a message at `qos` could be written now. */
  canAccept(qos: QoS): boolean {
    const link = this.link;
    if (link === undefined || !link.writable) return false;
    return qos === 0 || this.#inflight.size < link.receiveMaximum;
  }

  /** Writes one message outside the queues (retained, shared group). False if it cannot be taken now. */
  deliverDirect(message: StoredMessage, qos: QoS, retain: boolean, subscriptionIds: number[], positions: Position[] = [], groupKey?: string): boolean {
    const link = this.link;
    if (link === undefined || !this.canAccept(qos)) return false;
    if (message.expiresAt !== undefined && message.expiresAt <= this.#ctx.now()) {
      this.#ctx.counters.expiredDrops++;
      return true;
    }
    const out: OutgoingPublish = { message, qos, dup: this.#resendIds?.delete(message.id) ?? false, retain, subscriptionIds };
    if (qos > 0) {
      const packetId = this.#allocPacketId();
      out.packetId = packetId;
      const f: Inflight = { packetId, message, qos: qos as 1 | 2, stage: 'publish', positions, retain, subscriptionIds };
      if (groupKey !== undefined) f.groupKey = groupKey;
      (this.#inflightMap ??= new Map()).set(packetId, f);
    }
    link.sendPublish(out);
    return true;
  }

  #allocPacketId(): number {
    for (let i = 0; i < 65535; i++) {
      const id = this.#nextPacketId;
      this.#nextPacketId = id === 65535 ? 1 : id + 1;
      if (!this.#inflight.has(id)) return id;
    }
    throw new Error('no free packet identifier');
  }

  /** PUBACK, or PUBREC with an error reason: the delivery is complete [MQTT-4.3.2]. The caller re-pumps. */
  completed(packetId: number): boolean {
    const ok = this.#inflightMap?.delete(packetId) ?? false;
    if (ok) this.dirty = true;
    return ok;
  }

  /** PUBREC: the client has the message; from now on only PUBREL is re-sent [MQTT-4.3.3]. */
  received(packetId: number): boolean {
    const f = this.#inflight.get(packetId);
    if (f === undefined || f.qos !== 2) return false;
    f.stage = 'pubrel';
    f.positions = [];
    this.dirty = true;
    return true;
  }

  /** On reconnect with a session: unacknowledged PUBLISHes again with DUP, PUBRELs again [MQTT-4.4.0-1]. */
  resendInflight(): void {
    const link = this.link;
    if (link === undefined) return;
    for (const f of [...this.#inflight.values()].sort((a, b) => a.message.id - b.message.id)) {
      if (f.stage === 'pubrel') link.sendPubrel(f.packetId);
      else link.sendPublish({ message: f.message, qos: f.qos, packetId: f.packetId, dup: true, retain: f.retain, subscriptionIds: f.subscriptionIds });
    }
  }

  /** Restores the PUBREL stage entries of a stored session (their messages need not be fetched again). */
  restoreOutbound(outbound: readonly OutboundState[]): void {
    for (const o of outbound) {
      if (o.stage === 'pubrel') {
        const placeholder: StoredMessage = { id: o.messageId, topic: '', payload: Buffer.alloc(0), qos: 2, retain: false, properties: { qoslevel: 2, cleansessionflag: false, mqttRealTopic: '' }, createdAt: 0 };
        (this.#inflightMap ??= new Map()).set(o.packetId, { packetId: o.packetId, message: placeholder, qos: 2, stage: 'pubrel', positions: [], retain: false, subscriptionIds: [] });
      } else this.resendIdsForChange().add(o.messageId);
    }
  }

  /** Removes and returns unacknowledged shared-subscription deliveries (the session is ending). */
  takeGroupDeliveries(): Array<{ groupKey: string; message: StoredMessage; offset?: number }> {
    const out: Array<{ groupKey: string; message: StoredMessage; offset?: number }> = [];
    for (const [id, f] of this.#inflight) {
      if (f.groupKey === undefined || f.stage !== 'publish') continue;
      const offset = f.positions[0]?.offset;
      out.push({ groupKey: f.groupKey, message: f.message, ...(offset === undefined ? {} : { offset }) });
      this.#inflightMap?.delete(id);
    }
    return out;
  }

  /** Oldest group-queue offset this session holds unacknowledged for the shared group `groupKey`. */
  oldestGroupDelivery(groupKey: string): number | undefined {
    let min: number | undefined;
    for (const f of this.#inflight.values()) {
      if (f.groupKey !== groupKey || f.stage !== 'publish') continue;
      for (const p of f.positions) if (min === undefined || p.offset < min) min = p.offset;
    }
    return min;
  }

  /** Forgets in-flight deliveries (clean start) */
  clearInflight(): void {
    this.#inflightMap = undefined;
    this.#inboundQos2 = undefined;
    this.#resendIds = undefined;
  }

  /**
   * Offsets safe to commit: the read position of each queue, held back to the oldest delivery the client
   * has not acknowledged, so a broker crash re-delivers rather than loses it.
   */
  committableOffsets(): Map<string, number> {
    const out = new Map(this.readOffsets);
    for (const f of this.#inflight.values()) {
      for (const p of f.positions) {
        const cur = out.get(p.queue);
        if (cur !== undefined && p.offset < cur) out.set(p.queue, p.offset);
      }
    }
    return out;
  }

  toState(disconnectedAt?: number): SessionState {
    const outbound: OutboundState[] = [...this.#inflight.values()].map((f) => ({ packetId: f.packetId, messageId: f.message.id, qos: f.qos, stage: f.stage }));
    const state: SessionState = {
      clientId: this.clientId,
      protocolVersion: this.protocolVersion,
      expiryInterval: this.expiryInterval,
      subscriptions: [...this.subscriptions.values()].map(toSubscriptionState),
      inboundQos2: [...this.inboundQos2],
      outbound,
    };
    if (disconnectedAt !== undefined) state.disconnectedAt = disconnectedAt;
    return state;
  }

  /** Pulls and delivers until the queues are drained, the window is full or the socket pushes back. */
  async pump(): Promise<void> {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        await this.#pumpRounds();
      } while (this.#again && this.link !== undefined);
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * Retained messages for a new subscription that did not fit the client's in-flight window at SUBACK
   * time; they go out first when the window frees (pump), instead of being dropped.
   */
  #pendingRetained: Array<{ message: StoredMessage; qos: QoS; subscriptionIds: number[] }> | undefined;

  /** Sends a retained message now, or as soon as the in-flight window allows. */
  deliverRetained(message: StoredMessage, qos: QoS, subscriptionIds: number[]): void {
    if (this.#pendingRetained === undefined && this.deliverDirect(message, qos, true, subscriptionIds)) return;
    (this.#pendingRetained ??= []).push({ message, qos, subscriptionIds });
  }

  async #pumpRounds(): Promise<void> {
    const held = this.#pendingRetained;
    while (held !== undefined && held.length > 0) {
      const r = held[0]!;
      if (!this.deliverDirect(r.message, r.qos, true, r.subscriptionIds)) return;
      held.shift();
    }
    if (held !== undefined && this.#pendingRetained === held) this.#pendingRetained = undefined;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (this.link === undefined || !this.link.writable) return;
      const reads = await this.#readQueues();
      if (reads.length === 0) return;
      const more = this.#deliverMerged(reads);
      if (!more || reads.every((r) => r.complete)) return;
    }
    this.#again = true;
  }

  async #readQueues(): Promise<QueueRead[]> {
    const { log, heads, maxQueued, counters } = this.#ctx;
    const reads: QueueRead[] = [];
    const free = (this.link?.receiveMaximum ?? READ_BATCH) - this.#inflight.size;
    for (const sub of this.subscriptions.values()) {
      if (sub.shareGroup !== undefined) continue;
      const q = sub.queue;
      let from = this.readOffsets.get(q);
      if (from === undefined) continue;
      const head = heads.get(q);
      if (head !== undefined && from >= head) continue;
      if (head !== undefined && head - from > maxQueued) {
        // Slow consumer: skip the oldest rather than hold them in memory.
        counters.slowConsumerDrops += head - maxQueued - from;
        from = head - maxQueued;
        this.readOffsetsForChange().set(q, from);
        this.dirty = true;
      }
      // No more than the in-flight window can take: an acknowledgement frees one slot, and reading a whole
      // batch for it (to deliver one and read the rest again next time) was most of fan-in's CPU (issue 15).
      const want = sub.qos === 0 ? READ_BATCH : Math.max(1, Math.min(READ_BATCH, free));
      const entries = await log.read(q, from, want);
      const complete = entries.length < want;
      if (complete) {
        const last = entries[entries.length - 1];
        const seen = last === undefined ? from : last.offset + 1;
        if ((heads.get(q) ?? 0) < seen) heads.set(q, seen);
      }
      if (entries.length > 0) reads.push({ queue: q, entries, complete });
    }
    return reads;
  }

  /** Returns false when it had to stop early (window full or socket full). */
  #deliverMerged(reads: QueueRead[]): boolean {
    const bySub = new Map<string, Subscription>();
    for (const s of this.subscriptions.values()) if (s.shareGroup === undefined) bySub.set(s.queue, s);
    const now = this.#ctx.now();
    for (const m of mergeReads(reads)) {
      const link = this.link;
      if (link === undefined) return false;
      let qos = -1;
      let retain = false;
      const subIds: number[] = [];
      for (const p of m.positions) {
        const sub = bySub.get(p.queue);
        if (sub === undefined) continue;
        // No Local: not to the session that published it [MQTT-3.8.3-3]
        if (sub.noLocal && m.message.properties.clientId === this.clientId) continue;
        qos = Math.max(qos, Math.min(sub.qos, m.message.qos));
        if (sub.retainAsPublished && m.message.retain) retain = true;
        if (sub.subscriptionId !== undefined) subIds.push(sub.subscriptionId);
      }
      const expired = m.message.expiresAt !== undefined && m.message.expiresAt <= now;
      if (expired) this.#ctx.counters.expiredDrops++;
      if (qos >= 0 && !expired) {
        if (!this.canAccept(qos as QoS)) return false;
        this.deliverDirect(m.message, qos as QoS, retain, subIds, m.positions);
      }
      // Only queues still subscribed: an unsubscribe during the read must not leave a stale position.
      for (const p of m.positions) if (bySub.has(p.queue)) this.readOffsetsForChange().set(p.queue, p.offset + 1);
      this.dirty = true;
      if (!link.writable) return false;
    }
    return true;
  }
}
