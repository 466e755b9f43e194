import type { MessageLog, StoredMessage } from './store/contract.js';
import type { BrokerCounters } from './counters.js';
import type { Session } from './session.js';
import type { Subscription } from './subscription.js';

const READ_BATCH = 64;

/**
 * A shared subscription `$share/{group}/{filter}` (MQTT 5 §4.8.2): one read position for the whole
 * group; each message goes to one member that can take it now, round robin.
 */
export class SharedGroup {
  readonly key: string;
  readonly group: string;
  readonly topicFilter: string;
  readonly queue: string;
  /** the group's next offset in its light queue */
  readOffset: number | undefined;
  dirty = false;
  readonly #members = new Map<string, { session: Session; sub: Subscription }>();
  /** messages a member took but never acknowledged before its session ended; they go out first */
  readonly #redeliver: Array<{ message: StoredMessage; offset?: number }> = [];
  /** the offset last made durable */
  committed: number | undefined;
  readonly #log: MessageLog;
  readonly #counters: BrokerCounters;
  readonly #now: () => number;
  #rr = 0;
  #pumping = false;
  #again = false;

  constructor(sub: Subscription, deps: { log: MessageLog; counters: BrokerCounters; now(): number }) {
    this.key = sub.filter;
    this.group = sub.shareGroup ?? '';
    this.topicFilter = sub.topicFilter;
    this.queue = sub.queue;
    this.#log = deps.log;
    this.#counters = deps.counters;
    this.#now = deps.now;
  }

  /** OffsetStore consumer name of the group. */
  get consumer(): string {
    return `$share/${this.group}`;
  }

  get size(): number {
    return this.#members.size;
  }

  add(session: Session, sub: Subscription): void {
    this.#members.set(session.clientId, { session, sub });
  }

  remove(clientId: string): void {
    this.#members.delete(clientId);
  }

  async pump(): Promise<void> {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        await this.#drain();
      } while (this.#again);
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * A member's session ended with this message unacknowledged: it goes to another member [MQTT-4.8.2-6
   * "SHOULD send the Application Message to another Client"].
   */
  requeue(message: StoredMessage, offset?: number): void {
    this.#redeliver.push(offset === undefined ? { message } : { message, offset });
  }

  /**
   * The offset safe to make durable: the read position held back to the oldest message a member took
   * and has not acknowledged (or that waits for redelivery), so a broker crash redelivers it rather
   * than losing it (at-least-once for the group, as for a persistent session).
   */
  committable(sessions: Iterable<Session>): number | undefined {
    if (this.readOffset === undefined) return undefined;
    let min = this.readOffset;
    for (const r of this.#redeliver) if (r.offset !== undefined && r.offset < min) min = r.offset;
    for (const s of sessions) {
      const o = s.oldestGroupDelivery(this.key);
      if (o !== undefined && o < min) min = o;
    }
    return min;
  }

  async #drain(): Promise<void> {
    while (this.#redeliver.length > 0) {
      const r = this.#redeliver[0]!;
      if (!this.#deliver(r.message, r.offset === undefined ? undefined : { queue: this.queue, offset: r.offset })) return;
      this.#redeliver.shift();
    }
    for (let round = 0; round < 64; round++) {
      if (this.readOffset === undefined) return;
      const entries = await this.#log.read(this.queue, this.readOffset, READ_BATCH);
      for (const e of entries) {
        const expired = e.message.expiresAt !== undefined && e.message.expiresAt <= this.#now();
        if (expired) this.#counters.expiredDrops++;
        else if (!this.#deliver(e.message, { queue: e.queue, offset: e.offset })) return;
        this.readOffset = e.offset + 1;
        this.dirty = true;
      }
      if (entries.length < READ_BATCH) return;
    }
    this.#again = true;
  }

  #deliver(message: StoredMessage, position: { queue: string; offset: number } | undefined): boolean {
    const members = [...this.#members.values()];
    for (let i = 0; i < members.length; i++) {
      const m = members[(this.#rr + i) % members.length]!;
      if (m.sub.noLocal && message.properties.clientId === m.session.clientId) continue;
      const qos = Math.min(m.sub.qos, message.qos) as 0 | 1 | 2;
      if (!m.session.canAccept(qos)) continue;
      this.#rr = (this.#rr + i + 1) % members.length;
      const ids = m.sub.subscriptionId === undefined ? [] : [m.sub.subscriptionId];
      return m.session.deliverDirect(message, qos, m.sub.retainAsPublished && message.retain, ids, position === undefined ? [] : [position], this.key);
    }
    return false;
  }
}
