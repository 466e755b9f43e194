import type { Identity } from './access.js';
import type { Duplex } from 'node:stream';
import { matchTopic, propertiesFor, type QoS, REFUSAL_LOG_DEFAULTS, ThrottledLog } from '@causeway/shared';
import type { AppendResult, BrokerStore, NewMessage, SessionState, StoredMessage } from './store/contract.js';
import { filterQueue, queuesFor, topicQueue } from './store/queue-names.js';
import { createCounters, type BrokerCounters } from './counters.js';
import { normalizeBrokerOptions, type BrokerOptions } from './options.js';
import { Session, type DeliveryContext } from './session.js';
import { SharedGroup } from './shared-group.js';
import { toSubscription, type Subscription } from './subscription.js';
import { WillScheduler, type Will } from './will.js';
import { SubscriptionIndex, type Follower } from './subscription-index.js';
import { Connection, type ConnectionHost } from './connection.js';
import type { HandlerConnection } from './handlers/context.js';
import type { PublishInput } from './publish-input.js';

const NEVER_EXPIRES = 0xffffffff;
/** a topic's queues with and without its own light queue (#queuesOf) */
interface TopicQueues {
  withTopic: readonly string[];
  withoutTopic: readonly string[];
}
/** topics whose queues the broker remembers (#queuesOf) */
const MAX_REMEMBERED_TOPICS = 10_000;
/** How often every connection's keep alive is checked: a silent client is dropped 1.5 × its keep alive
 * after its last packet, give or take this. */
export const KEEP_ALIVE_SWEEP_MS = 500;

/**
 * The MQTT broker core: store once, push-pull. A PUBLISH is appended to the log once, indexed into its
 * first-level queue, its topic's light queue if any session holds that topic, and the light queue of
 * every wildcard filter any session holds; then the topic is announced and each connected session
 * following it pulls from its own offset.
 * `handle(stream)` takes any duplex stream, so tests drive it in-process and listeners pass sockets.
 */
export class Broker implements ConnectionHost {
  readonly store: BrokerStore;
  readonly options: Readonly<BrokerOptions>;
  readonly counters: BrokerCounters = createCounters();
  readonly sessions = new Map<string, Session>();
  readonly connections = new Set<Connection>();
  readonly wills = new WillScheduler();
  readonly #index = new SubscriptionIndex();
  readonly #groups = new Map<string, SharedGroup>();
  readonly #heads = new Map<string, number>();
  readonly #expiryTimers = new Map<string, NodeJS.Timeout>();
  readonly #pendingTopics = new Set<string>();
  /** the queues of recently published topics, while the wildcard filters stay as they were (#queuesOf) */
  readonly #queuesByTopic = new Map<string, TopicQueues>();
  #queuesVersion = 0;
  /** open connections per remote address (limits.maxConnectionsPerSource) */
  readonly #perSource = new Map<string, number>();
  readonly #background = new Set<Promise<unknown>>();
  readonly #ctx: DeliveryContext;
  #flushScheduled = false;
  #commitTimer: NodeJS.Timeout | undefined;
  #keepAliveSweep: NodeJS.Timeout | undefined;
  #closing = false;

  /** refusal warnings a peer can provoke at will, rate-limited per reason and source (issue 23 item 7) */
  readonly refusals: ThrottledLog;

  constructor(store: BrokerStore, options: Partial<BrokerOptions> = {}) {
    this.store = store;
    this.options = normalizeBrokerOptions(options);
    this.refusals = new ThrottledLog(this.options.logger, REFUSAL_LOG_DEFAULTS, () => this.counters.logLinesSuppressed++);
    this.#ctx = { log: store.log, heads: this.#heads, counters: this.counters, maxQueued: this.options.maxQueuedPerSession, now: () => Date.now() };
  }

  get log(): BrokerOptions['logger'] {
    return this.options.logger;
  }

  get closing(): boolean {
    return this.#closing;
  }

  /** Restores persistent sessions (and their wildcard filters) from the store; call before accepting clients. */
  async start(): Promise<void> {
    for (const state of await this.store.sessions.listSessions()) await this.#restore(state);
    this.#commitTimer = setInterval(() => {
      this.#track(this.commitOffsets());
      this.refusals.flush();
    }, this.options.offsetCommitIntervalMs);
    this.#commitTimer.unref();
  }

  /** Rebuilds a persistent session from its stored state (at start, or when another node saved it). */
  async #restore(state: SessionState): Promise<Session | undefined> {
    const now = Date.now();
    const gone = state.disconnectedAt ?? now;
    if (state.expiryInterval !== NEVER_EXPIRES && gone + state.expiryInterval * 1000 <= now) {
      await this.#deleteStored(state.clientId);
      return undefined;
    }
    const s = this.newSession(state.clientId);
    s.protocolVersion = state.protocolVersion;
    s.expiryInterval = state.expiryInterval;
    for (const st of state.subscriptions) await this.subscribe(s, toSubscription(st), { persist: false, restoring: true });
    s.restoreOutbound(state.outbound);
    for (const id of state.inboundQos2) s.inboundQos2ForChange().add(id);
    this.sessions.set(s.clientId, s);
    this.#scheduleExpiry(s, gone);
    return s;
  }

  /** A persistent session saved by another node (shared store): restore it here as start() would have. */
  async loadStoredSession(clientId: string): Promise<Session | undefined> {
    const state = await this.store.sessions.getSession(clientId);
    return state === undefined ? undefined : this.#restore(state);
  }

  /** Another node appended on these topics: the cached heads of their queues are stale; pump followers. */
  notifyRemote(topics: readonly string[]): void {
    for (const t of topics) {
      this.#heads.delete(topicQueue(t));
      for (const f of this.#index.wildcardsMatching(t)) this.#heads.delete(filterQueue(f));
      this.#notify(t);
    }
  }

  /** Serves one client over any duplex stream. */
  handle(stream: Duplex, meta: { remoteAddress?: string; certificateId?: string; certificateSha256?: string } = {}): Connection {
    if (this.#keepAliveSweep === undefined && !this.#closing) {
      this.#keepAliveSweep = setInterval(() => {
        const now = performance.now();
        for (const c of this.connections) c.checkKeepAlive(now);
      }, KEEP_ALIVE_SWEEP_MS);
      this.#keepAliveSweep.unref();
    }
    const conn = new Connection(this, stream, meta);
    this.connections.add(conn);
    this.counters.connectionsTotal++;
    this.counters.connectionsOpen++;
    const perSource = this.#perSource.get(conn.remoteAddress) ?? 0;
    this.#perSource.set(conn.remoteAddress, perSource + 1);
    const max = this.options.maxConnectionsPerSource;
    if (this.#closing) {
      this.counters.connectionsRefused++;
      conn.refuseBusy();
    } else if (this.connections.size > this.options.maxConnections) {
      this.counters.connectionsRefused++;
      this.refusals.warn('max-connections', 'connection refused: limits.maxConnections reached', { remoteAddress: conn.remoteAddress, limit: this.options.maxConnections });
      conn.refuseBusy();
    } else if (max > 0 && perSource >= max) {
      // One address must not take every slot (issue 23 item 8); logged per source, rate-limited.
      this.counters.connectionsRefused++;
      this.counters.connectionsRefusedPerSource++;
      this.refusals.warn(`per-source|${conn.remoteAddress}`, 'connection refused: limits.maxConnectionsPerSource reached for this address', { remoteAddress: conn.remoteAddress, limit: max });
      conn.refuseBusy();
    }
    return conn;
  }

  newSession(clientId: string): Session {
    return new Session(clientId, this.#ctx);
  }

  /** Creates and registers an empty session for a connecting client. */
  openSession(clientId: string): Session {
    const s = this.newSession(clientId);
    this.sessions.set(clientId, s);
    return s;
  }

  sessionOf(clientId: string): Session | undefined {
    return this.sessions.get(clientId);
  }

  /** Closes the connection holding `s` for `reason` (a takeover [MQTT-3.1.4-3]); resolves once it let go of `s`. */
  takeOver(s: Session, reason: Error): Promise<void> {
    // attach() is the only place a session gets a link, and it takes a HandlerConnection.
    const old = s.link as HandlerConnection | undefined;
    if (old === undefined) return Promise.resolve();
    old.fail(reason);
    return old.detached.catch(() => undefined);
  }

  /** The connection closed or was refused: no longer served. */
  connectionClosed(conn: Connection): void {
    this.connections.delete(conn);
    this.counters.connectionsOpen--;
    // Here rather than in a 'close' listener of each stream: a listener per connection (its closure,
    // context and once-wrapper) was ~0.3 KB of every idle connection (issue 15).
    const n = (this.#perSource.get(conn.remoteAddress) ?? 1) - 1;
    if (n <= 0) this.#perSource.delete(conn.remoteAddress);
    else this.#perSource.set(conn.remoteAddress, n);
  }

  // ---- publishing ---------------------------------------------------------------------------------

  /** Appends once, indexes into every queue, keeps retained, announces the topic. Resolves after the commit. */
  async publish(p: PublishInput, dedupeKey?: string): Promise<AppendResult> {
    const props: { qos: QoS; clientId?: string; cleanSession?: boolean } = { qos: p.qos };
    if (p.clientId !== undefined) props.clientId = p.clientId;
    if (p.cleanSession !== undefined) props.cleanSession = p.cleanSession;
    const msg: NewMessage = { topic: p.topic, payload: p.payload, qos: p.qos, retain: p.retain, properties: propertiesFor(p.topic, props), createdAt: Date.now() };
    if (p.meta !== undefined) msg.meta = p.meta;
    if (p.expiresAt !== undefined) msg.expiresAt = p.expiresAt;
    const res = await this.store.log.append(msg, this.#queuesOf(p.topic), dedupeKey === undefined ? undefined : { dedupeKey });
    if (res.duplicate) {
      this.counters.duplicatesDropped++;
      return res;
    }
    this.counters.publishesIn++;
    for (const [q, off] of Object.entries(res.offsets)) if ((this.#heads.get(q) ?? 0) <= off) this.#heads.set(q, off + 1);
    if (p.retain) await this.store.retained.setRetained({ ...msg, id: res.id }); // [MQTT-3.3.1-5]
    this.#notify(p.topic);
    this.options.onAppend?.(p.topic);
    return res;
  }

  /**
   * Every queue a message on `topic` goes to: its server-side queues, its light queue while an exact
   * subscription to it is held, and the light queue of each held wildcard filter that matches. The
   * wildcard part changes only when a wildcard filter comes or goes, so a topic's two lists (with and
   * without its light queue) are worked out once and remembered until then: the same strings every time,
   * already hashed for the store's maps (issue 15). At most MAX_REMEMBERED_TOPICS are kept; past that the
   * memo starts again.
   *
   * A light queue nobody holds is not indexed: no reader could use its entries, since a new subscription
   * starts at the queue's end. In fan-in this saves one B-tree leaf write per topic per commit. On a store
   * shared by several nodes (JetStream) `indexEveryTopic` indexes every topic's light queue, as another
   * node's sessions may hold it.
   */
  #queuesOf(topic: string): readonly string[] {
    const version = this.#index.wildcardsVersion;
    if (version !== this.#queuesVersion) {
      this.#queuesByTopic.clear();
      this.#queuesVersion = version;
    }
    let queues = this.#queuesByTopic.get(topic);
    if (queues === undefined) {
      const withTopic = queuesFor(topic, this.#index.wildcardsMatching(topic), this.options.serverQueues?.(topic) ?? []);
      const light = topicQueue(topic);
      queues = { withTopic, withoutTopic: withTopic.filter((q) => q !== light) };
      if (this.#queuesByTopic.size >= MAX_REMEMBERED_TOPICS) this.#queuesByTopic.clear();
      this.#queuesByTopic.set(topic, queues);
    }
    return this.options.indexEveryTopic || this.#index.holdsExact(topic) ? queues.withTopic : queues.withoutTopic;
  }

  /**
   * Sends a QoS 0 message to one client connected to this node, without storing it: an answer meant for
   * that client alone and only while it listens (the cloud's chunk answers, issue 17), which in the log
   * would be stored once per client and per request. Only to a subscription that matches the topic
   * [MQTT-3.3.4-1]. 'absent' when the client is not connected here or not subscribed (the caller may
   * store it instead); 'busy' when more than `maxQueuedBytes` already wait in its socket (a client that
   * does not read: the message is dropped, QoS 0, and the client asks again).
   */
  sendEphemeral(clientId: string, topic: string, payload: Buffer, maxQueuedBytes = 4 * 1024 * 1024): 'sent' | 'busy' | 'absent' {
    for (const c of this.connections) {
      if (c.clientId !== clientId || !c.connected || c.session === undefined) continue;
      const sub = [...c.session.subscriptions.values()].find((x) => x.shareGroup === undefined && matchTopic(x.topicFilter, topic));
      if (sub === undefined) return 'absent';
      if (c.stream.writableLength > maxQueuedBytes) return 'busy';
      const message: StoredMessage = { id: 0, topic, payload, qos: 0, retain: false, properties: propertiesFor(topic, { qos: 0 }), createdAt: Date.now() };
      c.sendPublish({ message, qos: 0, dup: false, retain: false, subscriptionIds: sub.subscriptionId === undefined ? [] : [sub.subscriptionId] });
      return 'sent';
    }
    return 'absent';
  }

  /** Coalesces bursts: each topic once per tick, each follower pumped once. */
  #notify(topic: string): void {
    this.#pendingTopics.add(topic);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      const followers = new Set<Follower>();
      for (const t of this.#pendingTopics) for (const f of this.#index.followersOf(t)) followers.add(f);
      this.#pendingTopics.clear();
      for (const f of followers) this.#track(f.pump());
    });
  }

  /** After an ack or a drain: the session and the shared groups it belongs to may take more. */
  wake(session: Session): void {
    this.#track(session.pump());
    for (const sub of session.subscriptions.values()) {
      if (sub.shareGroup !== undefined) this.#track(this.#groups.get(sub.filter)?.pump());
    }
  }

  cancelWill(clientId: string): void {
    this.wills.cancel(clientId);
  }

  publishWill(clientId: string, will: Will): void {
    this.wills.schedule(clientId, will.delay * 1000, () => {
      if (this.sessions.get(clientId)?.link !== undefined && will.delay > 0) return; // reconnected meanwhile
      const p: PublishInput = { topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain, clientId };
      if (will.meta !== undefined) p.meta = will.meta;
      if (will.expiry !== undefined) p.expiresAt = Date.now() + will.expiry * 1000;
      this.counters.willsPublished++;
      this.#track(this.publish(p).catch((err: unknown) => this.log.error('will not published', { clientId, err })));
    });
  }

  // ---- subscriptions -------------------------------------------------------------------------------

  admitTopic(who: Identity, topic: string): boolean {
    return this.options.admitTopic?.(who, topic) ?? true;
  }

  retainedFor(topicFilter: string): Promise<StoredMessage[]> {
    return this.store.retained.matchRetained(topicFilter);
  }

  /** Adds or replaces a subscription; returns true if one with the same filter existed. */
  async subscribe(s: Session, sub: Subscription, opts: { persist?: boolean; restoring?: boolean } = {}): Promise<boolean> {
    const old = s.subscriptions.get(sub.filter);
    if (old === undefined) this.#index.hold(sub.topicFilter);
    s.subscriptionsForChange().set(sub.filter, sub);
    const log = this.store.log;
    if (sub.shareGroup !== undefined) {
      let g = this.#groups.get(sub.filter);
      if (g === undefined) {
        g = new SharedGroup(sub, { log, counters: this.counters, now: () => Date.now() });
        this.#groups.set(sub.filter, g);
        g.readOffset = (await this.store.offsets.getOffset(g.consumer, g.queue)) ?? (await log.nextOffset(g.queue));
        await this.store.offsets.setOffset(g.consumer, g.queue, g.readOffset);
        this.#index.follow(g.topicFilter, g);
      }
      if (s.link !== undefined) g.add(s, sub);
    } else {
      const next = await log.nextOffset(sub.queue);
      if ((this.#heads.get(sub.queue) ?? 0) < next) this.#heads.set(sub.queue, next);
      if (!s.readOffsets.has(sub.queue)) {
        const stored = opts.restoring === true ? await this.store.offsets.getOffset(s.clientId, sub.queue) : undefined;
        s.readOffsetsForChange().set(sub.queue, stored ?? next);
        // The start position is durable before SUBACK, so messages after it survive a broker crash.
        if (stored === undefined && s.persistent) await this.store.offsets.setOffset(s.clientId, sub.queue, next);
      }
      if (s.link !== undefined) this.#index.follow(sub.topicFilter, s);
    }
    if (opts.persist !== false && s.persistent) await this.persistSession(s);
    return old !== undefined;
  }

  async unsubscribe(s: Session, filter: string, opts: { persist?: boolean } = {}): Promise<boolean> {
    const sub = s.subscriptions.get(filter);
    if (sub === undefined) return false;
    s.subscriptionsForChange().delete(filter);
    this.#index.release(sub.topicFilter);
    if (sub.shareGroup !== undefined) this.#groups.get(filter)?.remove(s.clientId);
    else {
      this.#index.unfollow(sub.topicFilter, s);
      if (s.readOffsets.has(sub.queue)) s.readOffsetsForChange().delete(sub.queue);
    }
    if (opts.persist !== false && s.persistent) await this.persistSession(s);
    return true;
  }

  // ---- session lifecycle ---------------------------------------------------------------------------

  /** Connects a session to its live link: index its subscriptions, re-send in-flight, catch up. */
  attach(s: Session, conn: HandlerConnection): void {
    const timer = this.#expiryTimers.get(s.clientId);
    if (timer !== undefined) clearTimeout(timer);
    this.#expiryTimers.delete(s.clientId);
    s.link = conn;
    for (const sub of s.subscriptions.values()) {
      if (sub.shareGroup !== undefined) this.#groups.get(sub.filter)?.add(s, sub);
      else this.#index.follow(sub.topicFilter, s);
    }
    s.resendInflight();
    this.wake(s);
  }

  /** The link went away: keep a persistent session (offsets only), end a clean one. */
  async detach(s: Session): Promise<void> {
    s.link = undefined;
    for (const sub of s.subscriptions.values()) {
      if (sub.shareGroup !== undefined) this.#groups.get(sub.filter)?.remove(s.clientId);
      else this.#index.unfollow(sub.topicFilter, s);
    }
    if (!s.persistent) {
      await this.discardSession(s);
      return;
    }
    const now = Date.now();
    await this.persistSession(s, now);
    await this.#commitSession(s);
    this.#scheduleExpiry(s, now);
  }

  async discardSession(s: Session): Promise<void> {
    if (this.sessions.get(s.clientId) === s) this.sessions.delete(s.clientId);
    for (const filter of [...s.subscriptions.keys()]) await this.unsubscribe(s, filter, { persist: false });
    for (const { groupKey, message, offset } of s.takeGroupDeliveries()) {
      const g = this.#groups.get(groupKey);
      if (g === undefined) continue;
      g.requeue(message, offset);
      this.#track(g.pump());
    }
    s.clearInflight();
    // A clean session stores nothing; only an earlier persistent one (maybe on another node) left state.
    // One read instead of a delete per clean disconnect: deleting offsets lists the store's keys.
    if (s.persistent || (await this.store.sessions.getSession(s.clientId)) !== undefined) await this.#deleteStored(s.clientId);
  }

  /** Offsets first: a session record without offsets is harmless, offsets without a record would never be found. */
  async #deleteStored(clientId: string): Promise<void> {
    await this.store.offsets.deleteConsumer(clientId);
    await this.store.sessions.deleteSession(clientId);
  }

  async persistSession(s: Session, disconnectedAt?: number): Promise<void> {
    const state: SessionState = s.toState(disconnectedAt);
    await this.store.sessions.putSession(state);
  }

  #scheduleExpiry(s: Session, since: number): void {
    if (s.expiryInterval === NEVER_EXPIRES || s.link !== undefined) return;
    const ms = Math.max(0, since + s.expiryInterval * 1000 - Date.now());
    const t = setTimeout(() => {
      this.#expiryTimers.delete(s.clientId);
      if (s.link === undefined && this.sessions.get(s.clientId) === s) this.#track(this.discardSession(s));
    }, Math.min(ms, 0x7fffffff));
    t.unref();
    this.#expiryTimers.set(s.clientId, t);
  }

  async #commitSession(s: Session): Promise<void> {
    if (!s.persistent || !s.dirty) return;
    s.dirty = false;
    for (const [q, off] of s.committableOffsets()) await this.store.offsets.setOffset(s.clientId, q, off);
    // The in-flight state too, so after a crash the resent messages carry DUP and QoS 2 PUBRELs resume.
    if (s.link !== undefined) await this.persistSession(s);
  }

  /** Makes the read positions of persistent sessions and shared groups durable. */
  async commitOffsets(): Promise<void> {
    try {
      for (const s of this.sessions.values()) await this.#commitSession(s);
      for (const g of this.#groups.values()) {
        const off = g.committable(this.sessions.values());
        if (off === undefined || off === g.committed) continue;
        g.dirty = false;
        g.committed = off;
        await this.store.offsets.setOffset(g.consumer, g.queue, off);
      }
    } catch (err) {
      this.counters.storeErrors++;
      this.log.error('offset commit failed', { err });
    }
  }

  #track(p: Promise<unknown> | undefined): void {
    if (p === undefined) return;
    const q = p.catch((err: unknown) => {
      this.counters.storeErrors++;
      this.log.error('background task failed', { err });
    });
    this.#background.add(q);
    void q.finally(() => this.#background.delete(q));
  }

  /** Background work (pumps, detaches) that a close must wait for. */
  trackTask(p: Promise<unknown>): void {
    this.#track(p);
  }

  /** Disconnects every client (v5: 0x8B), saves sessions and offsets. The store stays open. */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#commitTimer !== undefined) clearInterval(this.#commitTimer);
    if (this.#keepAliveSweep !== undefined) clearInterval(this.#keepAliveSweep);
    this.#keepAliveSweep = undefined;
    this.refusals.flush(true);
    this.wills.clear();
    for (const c of [...this.connections]) c.shutdown();
    for (let i = 0; i < 10 && this.#background.size > 0; i++) await Promise.allSettled([...this.#background]);
    await this.commitOffsets();
    for (const t of this.#expiryTimers.values()) clearTimeout(t);
    this.#expiryTimers.clear();
  }
}
