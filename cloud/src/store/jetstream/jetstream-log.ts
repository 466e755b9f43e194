import { type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg, type KV, type MsgHdrs, type NatsConnection, type StoredMsg, type Subscription, DiscardPolicy, RetentionPolicy as JsRetention, StorageType, nanos } from 'nats';
import { type AppendOptions, type AppendResult, type MessageLog, type NewMessage, type QueueEntry, type RetentionPolicy, type StoredMessage, MessageCache, checkOffset, checkQueueName, distinctQueues, StoreError } from '@causeway/broker';
import { LogIndex } from './log-index.js';
import { decodeHeaders, decodeRecord } from './message-codec.js';
import type { NormalizedJetStreamOptions } from './jetstream-options.js';
import { topicToTokens } from './subject-escape.js';
import { apiErrorCode, waitUntil } from './nats-errors.js';
import { AppendPipeline } from './append-pipeline.js';
import type { FilterRegistry } from './filter-registry.js';
import { hasWildcard, isValidTopicFilter } from '@causeway/shared';

const COUNTERS_KEY = 'counters';
/** records fetched at once when the index catches up without its tail */
const CATCH_UP_BATCH = 64;

/**
 * MessageLog on one JetStream stream (design and its cost: docs/scale-out.md).
 *
 * Store once: one stream record per append, subject `<prefix>.msg.<escaped topic>`, payload as the body,
 * the queues and their offsets in the `Cw-Queues` header. The stream sequence is the message id.
 *
 * Dense per-queue offsets across nodes by optimistic concurrency on the whole stream: every node replays
 * the stream at start and tails it (an ordered consumer), so it knows every queue's next offset as of the
 * last sequence it applied; an append publishes with `Nats-Expected-Last-Sequence` = that sequence, so it
 * commits only if no other node appended in between — one atomic JetStream write carries the message, its
 * offsets and its dedupe key. On "wrong last sequence" the node catches up (its tail, else direct gets)
 * and retries. Appends queued together go out as one pipelined chain (append-pipeline.ts); nodes contend
 * only when they append at the same moment. Dedupe is exact and atomic for the same reason: the keys of
 * every live record are in the index the check runs against.
 *
 * Retention is `prune()` (the broker's retention timer): it checkpoints the queue counters in the meta KV
 * bucket (so a queue whose records are all gone keeps its next offset across restarts), deletes the records
 * and tells the other nodes on `<prefix>.pruned`.
 */
export class JetStreamLog implements MessageLog {
  readonly index = new LogIndex();
  readonly cache: MessageCache;
  private tail: ConsumerMessages | undefined;
  private tailDone: Promise<void> = Promise.resolve();
  private prunedSub: Subscription | undefined;
  readonly pipeline: AppendPipeline;
  /** a sequence known to be deleted at the tail of the stream (see catchUp) */
  private skipTo = 0;
  private readonly waiters = new Set<() => void>();
  /** records applied from the tail; for tests and metrics */
  applied = 0;
  /**
   * The tail failed to reach a sequence in time and has delivered nothing since (its consumer being
   * re-placed after a nats-server died): catch-ups go straight to direct gets instead of first waiting
   * for it [issue 23].
   */
  private tailBehind = false;
  /** catch-ups that had to fetch records directly; for tests and metrics */
  directCatchUps = 0;

  /** What /metrics shows of the log during an outage (causeway_jetstream_log) [issue 23]. */
  get counters(): Record<'chains' | 'retriedUnavailable' | 'failedUnavailable' | 'directCatchUps', number> {
    const p = this.pipeline;
    return { chains: p.chains, retriedUnavailable: p.retriedUnavailable, failedUnavailable: p.failedUnavailable, directCatchUps: this.directCatchUps };
  }

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly meta: KV,
    private readonly o: NormalizedJetStreamOptions,
    private readonly assertOpen: () => void,
    /** cluster-wide wildcard filters (filter-registry.ts); omitted = only the caller's queues are indexed */
    private readonly filters?: FilterRegistry,
  ) {
    this.cache = new MessageCache({ maxMessages: o.cacheMaxMessages, maxBytes: o.cacheMaxBytes });
    this.pipeline = new AppendPipeline({
      js,
      index: this.index,
      cache: this.cache,
      timeoutMs: o.timeoutMs,
      appendRetryMs: o.appendRetryMs,
      expectedLast: () => Math.max(this.index.lastSeq, this.skipTo),
      catchUp: (err) => this.catchUp(err),
      catchUpTo: (seq) => this.catchUpTo(seq),
    });
  }

  /** Creates the stream if needed, replays it and keeps tailing it. */
  async start(): Promise<void> {
    const { stream, prefix } = this.o.names;
    let messages: number;
    try {
      messages = (await this.jsm.streams.info(stream)).state.messages;
    } catch (err) {
      if (apiErrorCode(err) !== 10059 && (err as { code?: string }).code !== '404') throw err;
      await this.addStream();
      messages = 0;
    }
    const checkpoint = await this.meta.get(COUNTERS_KEY);
    if (checkpoint !== null && checkpoint.operation === 'PUT') {
      this.index.restoreCounters(JSON.parse(Buffer.from(checkpoint.value).toString('utf8')) as Record<string, number>);
    }
    this.prunedSub = this.nc.subscribe(`${prefix}.pruned`, {
      callback: (_err, msg) => {
        try {
          for (const id of JSON.parse(Buffer.from(msg.data).toString('utf8')) as number[]) this.forget(id);
          this.index.trim();
        } catch {
          // a malformed notice only leaves this node's index stale until reads find the records gone
        }
      },
    });
    let caughtUp = messages === 0;
    const consumer = await this.js.consumers.get(stream);
    // Short heartbeats: if the server holding the tail's consumer dies, notice within seconds and let the
    // ordered consumer recreate itself elsewhere instead of the default 15 s.
    const tail = await consumer.consume({ max_messages: 1000, expires: 2000, idle_heartbeat: 1000 });
    this.tail = tail;
    // A connection closed under the log (a node dying without close()) ends the tail too: its heartbeat
    // check would otherwise keep firing on the closed connection for as long as the process lives.
    void this.nc.closed().then(() => {
      try {
        tail.stop();
      } catch {
        // already stopped
      }
    });
    this.tailDone = (async () => {
      for await (const m of tail) {
        this.tailBehind = false;
        this.onRecord(m);
        if (!caughtUp && m.info.pending === 0) caughtUp = true;
        for (const w of this.waiters) w();
      }
    })();
    await waitUntil(() => caughtUp, 60_000, `replay of stream ${stream}`, this.waiters);
  }

  /** Creates the log stream; another node creating it at the same moment is fine. */
  private async addStream(): Promise<void> {
    const { stream, msgRoot } = this.o.names;
    try {
      await this.jsm.streams.add({
        name: stream,
        subjects: [`${msgRoot}.>`],
        storage: StorageType.File,
        retention: JsRetention.Limits,
        num_replicas: this.o.replicas,
        max_age: nanos(this.o.maxAgeMs),
        max_bytes: this.o.maxBytes > 0 ? this.o.maxBytes : -1,
        discard: DiscardPolicy.Old,
        allow_direct: true,
        // Records carry a Nats-Msg-Id only to chain appends (append-pipeline.ts): keep the server's
        // duplicate-tracking window short so it does not hold millions of ids.
        duplicate_window: nanos(2000),
      });
    } catch (err) {
      // 10058: stream name already in use (a node that started at the same time created it)
      if (apiErrorCode(err) !== 10058) throw err;
    }
  }

  private onRecord(m: JsMsg): void {
    this.applyRecord(m.seq, m.headers, m.data);
  }

  private applyRecord(seq: number, headers: MsgHdrs | undefined, data: Uint8Array): void {
    if (seq <= this.index.lastSeq) return;
    try {
      const h = decodeHeaders(headers, seq);
      const stored = decodeRecord(h, data, seq);
      const rec: Parameters<LogIndex['apply']>[0] = { id: seq, createdAt: stored.createdAt, bytes: stored.payload.length };
      if (stored.expiresAt !== undefined) rec.expiresAt = stored.expiresAt;
      if (h.dedupeKey !== undefined) rec.dedupeKey = h.dedupeKey;
      this.index.apply(rec, h.offsets);
      this.cache.set(stored);
      this.applied++;
    } catch {
      // Not a Causeway record (someone published into our subjects): skip it, but count the sequence as
      // seen so appends can still name the stream's last sequence.
      this.index.lastSeq = seq;
    }
  }

  async stop(): Promise<void> {
    this.pipeline.abort(new StoreError('STORE_CLOSED', 'jetstream store is closed'));
    this.tail?.stop();
    await this.tailDone.catch(() => undefined);
    this.prunedSub?.unsubscribe();
    for (const w of this.waiters) w();
  }

  /** Resolves once this node's index has applied stream sequence `seq` (e.g. another node's append). */
  async waitForSeq(seq: number, timeoutMs = this.o.timeoutMs): Promise<boolean> {
    if (this.index.lastSeq >= seq) return true;
    try {
      await waitUntil(() => this.index.lastSeq >= seq, timeoutMs, `sequence ${seq}`, this.waiters);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Like waitForSeq, but if the tail does not bring `seq` within 500 ms (its consumer lost with a dead
   * nats-server, not re-created yet) fetches the missing records itself: another node's notification must
   * reach this node's subscribers even while its tail is stalled [issue 23].
   */
  async reach(seq: number): Promise<boolean> {
    await this.catchUpTo(seq);
    return this.index.lastSeq >= seq || (await this.waitForSeq(seq));
  }

  append(message: NewMessage, queues: readonly string[], options?: AppendOptions): Promise<AppendResult> {
    try {
      this.assertOpen();
      const names = distinctQueues(this.filters === undefined ? queues : [...queues, ...this.filters.queuesFor(message.topic)]);
      const max = this.nc.info?.max_payload;
      if (max !== undefined && message.payload.length > max - 4096) {
        throw new StoreError('STORE_INVALID', `payload of ${message.payload.length} bytes exceeds the NATS max_payload of ${max} (less header room)`);
      }
      return this.pipeline.submit(`${this.o.names.msgRoot}.${topicToTokens(message.topic)}`, message, names, options?.dedupeKey);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * After "wrong last sequence: N": wait for the tail to apply N. If it never does, N was deleted
   * (pruned by another node right after it was written), so the next attempt may name it.
   */
  private async catchUp(err: unknown): Promise<void> {
    const m = /wrong last sequence: (\d+)/.exec((err as Error).message);
    const last = m === null ? undefined : Number(m[1]);
    if (last === undefined) {
      await new Promise((r) => setTimeout(r, 5));
      return;
    }
    await this.catchUpTo(last);
  }

  /**
   * Waits briefly for the tail to apply `last`; if it is behind (its consumer being recreated after a
   * server died, or an ack was lost and our own record is the one missing), fetches the missing records
   * directly, in order — and keeps doing so without waiting until the tail delivers again.
   */
  private async catchUpTo(last: number): Promise<void> {
    if (this.index.lastSeq >= last) return;
    // With the tail stalled, waiting for it on every lost race would cost each append 500 ms while the
    // other nodes keep appending: this node would lose every race until its tail came back (issue 23:
    // one node's publishers got no PUBACK for 23 s after a nats-server was killed, the other's for 9 s).
    if (!this.tailBehind && (await this.waitForSeq(last, 500))) return;
    this.tailBehind = true;
    this.directCatchUps++;
    // In parallel batches, applied in order: one get after another could not keep up with a busy node.
    // From the leader (not a direct get, which a lagging replica could answer "not found").
    const end = Math.min(last, this.index.lastSeq + 1000);
    for (let from = this.index.lastSeq + 1; from <= end; from += CATCH_UP_BATCH) {
      const seqs = Array.from({ length: Math.min(CATCH_UP_BATCH, end - from + 1) }, (_, i) => from + i);
      const got = await Promise.all(
        seqs.map((seq) =>
          this.jsm.streams.getMessage(this.o.names.stream, { seq }).then(
            (sm) => ({ seq, sm, deleted: false }),
            (e: unknown) => ({ seq, sm: undefined, deleted: apiErrorCode(e) === 10037 }),
          ),
        ),
      );
      for (const g of got) {
        if (g.sm !== undefined) this.applyRecord(g.seq, g.sm.header, g.sm.data);
        else if (!g.deleted) return; // not reachable now: the next attempt catches up again
        // deleted (pruned right after it was written): the next attempt may name it as the last
        else if (g.seq === last) this.skipTo = Math.max(this.skipTo, last);
      }
    }
  }

  async read(queue: string, fromOffset: number, max: number): Promise<QueueEntry[]> {
    this.assertOpen();
    checkQueueName(queue);
    checkOffset('fromOffset', fromOffset);
    checkOffset('max', max);
    await this.registerFilter(queue);
    const entries = this.index.entries(queue, fromOffset, max, Date.now());
    const messages = await Promise.all(entries.map((e) => this.fetch(e.id)));
    const out: QueueEntry[] = [];
    entries.forEach((e, i) => {
      const message = messages[i];
      if (message !== undefined) out.push({ queue, offset: e.offset, message });
    });
    // Records another node pruned (its notice not seen yet) were dropped above, so `max` may not be
    // filled although more entries exist; readers ask again from the last offset they got.
    return out;
  }

  async nextOffset(queue: string): Promise<number> {
    this.assertOpen();
    checkQueueName(queue);
    // The broker asks for a light queue's next offset when a session subscribes: the moment other nodes
    // must start indexing their publishes into it.
    await this.registerFilter(queue);
    return this.index.nextOffset(queue);
  }

  private async registerFilter(queue: string): Promise<void> {
    if (this.filters === undefined || !queue.startsWith('f:')) return;
    const filter = queue.slice(2);
    if (!hasWildcard(filter) || !isValidTopicFilter(filter)) return;
    try {
      await this.filters.register(filter);
    } catch (err) {
      throw new StoreError('STORE_IO', `cannot register wildcard filter ${filter} with the cluster: ${(err as Error).message}`, { cause: err });
    }
  }

  async firstOffset(queue: string): Promise<number> {
    this.assertOpen();
    checkQueueName(queue);
    return this.index.firstOffset(queue);
  }

  async offsetForTime(queue: string, timeMs: number): Promise<number> {
    this.assertOpen();
    checkQueueName(queue);
    return this.index.offsetForTime(queue, timeMs);
  }

  async get(id: number): Promise<StoredMessage | undefined> {
    this.assertOpen();
    if (this.index.get(id) === undefined) return undefined;
    return this.fetch(id);
  }

  /** From the cache, else one direct get (served by any replica); undefined once pruned. */
  private async fetch(id: number): Promise<StoredMessage | undefined> {
    const hit = this.cache.get(id);
    if (hit !== undefined) return hit;
    try {
      // `direct` is on the manager object but not yet on its published interface.
      const direct = (this.jsm as JetStreamManager & { direct: { getMessage(stream: string, q: { seq: number }): Promise<StoredMsg> } }).direct;
      const sm = await direct.getMessage(this.o.names.stream, { seq: id });
      const m = decodeRecord(decodeHeaders(sm.header, id), sm.data, id);
      this.cache.set(m);
      return m;
    } catch (err) {
      if ((err as { code?: string }).code === '404' || apiErrorCode(err) === 10037) {
        this.forget(id);
        return undefined;
      }
      throw new StoreError('STORE_IO', `JetStream get of record ${id} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  private forget(id: number): void {
    this.index.remove(id);
    this.cache.delete(id);
  }

  async prune(policy: RetentionPolicy, now: number = Date.now()): Promise<number> {
    this.assertOpen();
    const ids = this.index.pruneCandidates(policy.maxAgeMs, policy.maxBytes, now);
    if (ids.length === 0) return 0;
    // Counters first: if every record of a queue goes, its next offset must survive a restart.
    await this.meta.put(COUNTERS_KEY, Buffer.from(JSON.stringify(this.index.counters())));
    const { stream, prefix } = this.o.names;
    try {
      if (this.index.isOldest(ids)) {
        // One request for a run of the oldest records (the usual case: age or size retention).
        await this.jsm.streams.purge(stream, { seq: ids[ids.length - 1]! + 1 });
      } else {
        for (let i = 0; i < ids.length; i += 64) {
          await Promise.all(ids.slice(i, i + 64).map((id) => this.jsm.streams.deleteMessage(stream, id, false).catch((err: unknown) => {
            if (apiErrorCode(err) !== 10037) throw err;
          })));
        }
      }
    } catch (err) {
      throw new StoreError('STORE_IO', `JetStream prune of ${ids.length} records failed: ${(err as Error).message}`, { cause: err });
    }
    for (const id of ids) this.forget(id);
    this.index.trim();
    for (let i = 0; i < ids.length; i += 10_000) this.nc.publish(`${prefix}.pruned`, Buffer.from(JSON.stringify(ids.slice(i, i + 10_000))));
    return ids.length;
  }

  async stats(): Promise<{ messages: number; bytes: number; queues: number }> {
    this.assertOpen();
    return this.index.stats();
  }
}
