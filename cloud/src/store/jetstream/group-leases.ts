import { type KV, StorageType } from 'nats';
import { apiErrorCode, WRONG_LAST_SEQUENCE } from './nats-errors.js';
import type { JetStreamStore } from './jetstream-store.js';

interface LeaseValue {
  node: string;
  since: number;
}

export interface GroupLeasesOptions {
  /** this process among the nodes; unique per process (a restarted node is a new holder) */
  nodeId: string;
  /** a lease not renewed for this long lapses (KV bucket max age); default 10 s */
  leaseMs?: number;
  /** this node lost a lease it held (another node took it after a renewal failed) */
  onLost?: (key: string) => void;
  now?: () => number;
}

/**
 * Which node runs each consumer group's cursor: a lease per group in KV `<prefix>_leases`. The first node
 * to use a group creates the key (an atomic create: two nodes asking at once agree on one owner), renews
 * it every `leaseMs / 4` with a compare-and-set, and deletes it on a clean stop so another node takes over
 * at once. A node that dies stops renewing: the bucket's max age removes the key after `leaseMs` and the
 * next node to use the group takes it. Renewal refused (someone else's key now) means the lease was lost.
 */
export class GroupLeases {
  readonly #kv: KV;
  readonly #node: string;
  readonly #leaseMs: number;
  readonly #onLost: (key: string) => void;
  readonly #now: () => number;
  /** leases this node holds: key → KV revision of our last write */
  readonly #held = new Map<string, number>();
  /** other nodes' leases as last read: key → owner, trusted until `until` */
  readonly #seen = new Map<string, { node: string; until: number }>();
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> = Promise.resolve();

  constructor(kv: KV, o: GroupLeasesOptions) {
    this.#kv = kv;
    this.#node = o.nodeId;
    this.#leaseMs = o.leaseMs ?? 10_000;
    this.#onLost = o.onLost ?? (() => undefined);
    this.#now = o.now ?? Date.now;
  }

  get nodeId(): string {
    return this.#node;
  }

  start(): void {
    let busy = false;
    this.#timer = setInterval(() => {
      // Never two renewals at once: the second would write with a revision the first just replaced and
      // take the refusal for a lost lease.
      if (busy) return;
      busy = true;
      this.#renewing = this.#renewAll().finally(() => (busy = false));
    }, Math.max(50, Math.floor(this.#leaseMs / 4)));
    this.#timer.unref();
  }

  /** The node that runs `key`, taking the lease for this node when nobody holds it. */
  async owner(key: string): Promise<string> {
    if (this.#held.has(key)) return this.#node;
    const seen = this.#seen.get(key);
    if (seen !== undefined && seen.until > this.#now()) return seen.node;
    for (let attempt = 0; attempt < 5; attempt++) {
      const e = await this.#kv.get(key);
      if (e !== null && e.operation === 'PUT') {
        const v = e.json() as LeaseValue;
        if (v.node === this.#node) {
          // ours (node ids are per process, so a read that raced our own create)
          this.#held.set(key, e.revision);
          return this.#node;
        }
        // trusted for a fraction of the lease: a lapsed owner is noticed soon after it lapses
        this.#seen.set(key, { node: v.node, until: this.#now() + this.#leaseMs / 4 });
        return v.node;
      }
      try {
        const rev = await this.#kv.create(key, JSON.stringify({ node: this.#node, since: this.#now() } satisfies LeaseValue));
        this.#held.set(key, rev);
        this.#seen.delete(key);
        return this.#node;
      } catch (err) {
        if (apiErrorCode(err) !== WRONG_LAST_SEQUENCE) throw err;
        // another node created it first: read it again
      }
    }
    throw new Error(`lease ${key} changed owner 5 times while being read`);
  }

  /** Whether this node holds the lease on `key`, as far as it knows (a lost lease is noticed at the next renewal). */
  holds(key: string): boolean {
    return this.#held.has(key);
  }

  /** Forget what was read about `key` (its owner said it no longer runs it). */
  forget(key: string): void {
    this.#seen.delete(key);
  }

  /**
   * Removes the lease on `key` if it still names `node`, whose process no longer answers on NATS (no
   * responders: it died or lost its connection), so the next `owner(key)` takes it without waiting for
   * the lease to lapse. Compare-and-set: a lease renewed or taken by another node meanwhile stays.
   */
  async evict(key: string, node: string): Promise<void> {
    this.#seen.delete(key);
    const e = await this.#kv.get(key);
    if (e === null || e.operation !== 'PUT' || (e.json() as LeaseValue).node !== node) return;
    try {
      await this.#kv.delete(key, { previousSeq: e.revision });
    } catch (err) {
      if (apiErrorCode(err) !== WRONG_LAST_SEQUENCE) throw err;
    }
  }

  async #renewAll(): Promise<void> {
    for (const [key, rev] of [...this.#held]) {
      try {
        const next = await this.#kv.update(key, JSON.stringify({ node: this.#node, since: this.#now() } satisfies LeaseValue), rev);
        if (this.#held.has(key)) this.#held.set(key, next);
      } catch (err) {
        if (apiErrorCode(err) !== WRONG_LAST_SEQUENCE) continue; // NATS unreachable: retried at the next renewal
        this.#held.delete(key);
        this.#onLost(key);
      }
    }
  }

  /** Gives every lease back (a clean stop), so other nodes take the groups over without waiting. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#renewing;
    const held = [...this.#held];
    this.#held.clear();
    await Promise.all(held.map(([key, rev]) => this.#kv.delete(key, { previousSeq: rev }).catch(() => undefined)));
  }
}

/** Opens (creating if needed) the lease bucket of a JetStream store; its max age is the lease time. */
export async function openGroupLeases(store: JetStreamStore, o: GroupLeasesOptions): Promise<GroupLeases> {
  const kv = await store.js.views.kv(store.options.names.leasesBucket, {
    history: 1,
    replicas: store.options.replicas,
    storage: StorageType.File,
    ttl: o.leaseMs ?? 10_000,
  });
  return new GroupLeases(kv, o);
}
