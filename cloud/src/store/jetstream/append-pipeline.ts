import { randomBytes } from 'node:crypto';
import type { JetStreamClient } from 'nats';
import { type AppendResult, type NewMessage, type MessageCache, StoreError } from '@causeway/broker';
import type { LogIndex } from './log-index.js';
import { encodeHeaders } from './message-codec.js';
import { apiErrorCode, isTransientPublishError } from './nats-errors.js';
import { backoffDelay, type BackoffPolicy } from '@causeway/shared';

/** JetStream's optimistic-concurrency failures: wrong last sequence, wrong last msg id. */
const WRONG_LAST_SEQUENCE = 10071;
const WRONG_LAST_MSG_ID = 10070;
/** appends written as one pipelined chain */
const MAX_CHAIN = 256;
/** attempts of one append against concurrent writers on other nodes before giving up with STORE_IO */
const MAX_ATTEMPTS = 100;
/** pause between attempts while the stream is unavailable: full jitter, 50 ms .. 2 s */
const UNAVAILABLE_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({ baseMs: 200, capMs: 2000, minMs: 50 });

interface Pending {
  subject: string;
  message: NewMessage;
  names: readonly string[];
  dedupeKey: string | undefined;
  attempts: number;
  /** when its first transient failure happened (the stream without a leader); undefined while none */
  unavailableSince: number | undefined;
  /** transient failures so far: the backoff's attempt number */
  unavailable: number;
  resolve: (r: AppendResult) => void;
  reject: (err: unknown) => void;
}

export interface PipelineDeps {
  js: JetStreamClient;
  index: LogIndex;
  cache: MessageCache;
  timeoutMs: number;
  /**
   * how long an append keeps being retried while JetStream is unavailable (503, timeout) before it fails
   * with STORE_IO; the publisher gets no PUBACK meanwhile [issue 23]
   */
  appendRetryMs: number;
  /** the sequence an append may name as the stream's last (index.lastSeq, or a deleted one above it) */
  expectedLast: () => number;
  /** after a lost race: bring the index up to the winner's records (the error names the last sequence) */
  catchUp: (err: unknown) => Promise<void>;
  /** make sure the index holds everything up to `seq` (acks arrived that the index has not applied) */
  catchUpTo: (seq: number) => Promise<void>;
}

/**
 * Writes appends as pipelined chains instead of one round trip each. Appends queued while a chain is in
 * flight form the next chain; its offsets are planned from the index as if every earlier link succeeds.
 * Link 0 carries `Nats-Expected-Last-Sequence` (nobody appended since the index's last sequence), link
 * j > 0 carries `Nats-Expected-Last-Msg-Id` = link j-1's id, so a link commits only right after its
 * predecessor: when another node wins the race the rest of the chain fails as a whole, the node catches
 * up and replans it. One node's chain costs one round trip however long it is; two nodes writing at once
 * alternate chains. Every record carries a fresh `Nats-Msg-Id` for this (not for JetStream's dedupe).
 */
export class AppendPipeline {
  private queue: Pending[] = [];
  private running = false;
  private readonly uid = randomBytes(6).toString('hex');
  private counter = 0;
  /** set by abort(): retries waiting out a backoff are rejected with it instead of being sent */
  private closed: unknown;
  private wakeUp: (() => void) | undefined;
  /** chains written; for tests and metrics */
  chains = 0;
  /** appends sent again because the stream was unavailable, and appends that failed past the bound (metrics) */
  retriedUnavailable = 0;
  failedUnavailable = 0;

  constructor(private readonly d: PipelineDeps) {}

  submit(subject: string, message: NewMessage, names: readonly string[], dedupeKey: string | undefined): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ subject, message, names, dedupeKey, attempts: 0, unavailableSince: undefined, unavailable: 0, resolve, reject });
      if (!this.running) void this.run();
    });
  }

  /** Rejects everything still queued (the store is closing). */
  abort(err: unknown): void {
    this.closed = err;
    for (const p of this.queue.splice(0)) p.reject(err);
    this.wakeUp?.();
  }

  /** Waits `ms`, or less if the pipeline is aborted meanwhile. */
  private pause(ms: number): Promise<void> {
    if (this.closed !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = undefined;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0 && this.closed === undefined) await this.writeChain(this.queue.splice(0, MAX_CHAIN));
    } finally {
      this.running = false;
    }
  }

  private async writeChain(batch: Pending[]): Promise<void> {
    const { index } = this.d;
    const expected = this.d.expectedLast();
    const next = new Map<string, number>();
    const keys = new Set<string>();
    const links: { p: Pending; offsets: Record<string, number>; pos: number }[] = [];
    const later: { p: Pending; pos: number }[] = [];
    batch.forEach((p, pos) => {
      if (p.dedupeKey !== undefined) {
        if (index.hasKey(p.dedupeKey)) return p.resolve({ duplicate: true });
        // Same key earlier in this chain: a duplicate only if that one commits, so it waits a chain.
        if (keys.has(p.dedupeKey)) return void later.push({ p, pos });
        keys.add(p.dedupeKey);
      }
      const offsets: Record<string, number> = {};
      for (const q of p.names) {
        const o = next.get(q) ?? index.nextOffset(q);
        offsets[q] = o;
        next.set(q, o + 1);
      }
      links.push({ p, offsets, pos });
    });
    if (links.length === 0) {
      this.queue.unshift(...later.map((l) => l.p));
      return;
    }
    this.chains++;
    let prevId = '';
    const results = await Promise.all(
      links.map((l, j) => {
        const msgID = `${this.uid}-${++this.counter}`;
        const expect = j === 0 ? { lastSequence: expected } : { lastMsgID: prevId };
        prevId = msgID;
        return this.d.js
          .publish(l.p.subject, l.p.message.payload, { headers: encodeHeaders(l.p.message, l.offsets, l.p.dedupeKey), msgID, expect, timeout: this.d.timeoutMs })
          .then((ack) => ({ ok: true as const, seq: ack.seq }), (err: unknown) => ({ ok: false as const, err }));
      }),
    );
    let contiguous = true;
    let maxSeq = 0;
    let conflict: unknown;
    /** the largest backoff attempt among links that failed because the stream was unavailable */
    let unavailable = -1;
    let budgetMs = Infinity;
    const now = Date.now();
    const retry: { p: Pending; pos: number }[] = [...later];
    results.forEach((r, j) => {
      const l = links[j]!;
      if (r.ok) {
        maxSeq = Math.max(maxSeq, r.seq);
        if (contiguous && r.seq === expected + 1 + j) {
          // Committed right after its predecessor: apply now rather than wait for the tail.
          const rec: Parameters<LogIndex['apply']>[0] = { id: r.seq, createdAt: l.p.message.createdAt, bytes: l.p.message.payload.length };
          if (l.p.message.expiresAt !== undefined) rec.expiresAt = l.p.message.expiresAt;
          if (l.p.dedupeKey !== undefined) rec.dedupeKey = l.p.dedupeKey;
          index.apply(rec, l.offsets);
          this.d.cache.set({ ...l.p.message, id: r.seq });
        } else contiguous = false;
        l.p.resolve({ duplicate: false, id: r.seq, offsets: l.offsets });
        return;
      }
      contiguous = false;
      const code = apiErrorCode(r.err);
      if (code === WRONG_LAST_SEQUENCE || code === WRONG_LAST_MSG_ID) {
        if (code === WRONG_LAST_SEQUENCE) conflict = r.err;
        if (++l.p.attempts >= MAX_ATTEMPTS) l.p.reject(new StoreError('STORE_IO', `append to ${l.p.subject} lost the optimistic-concurrency race ${MAX_ATTEMPTS} times`));
        else retry.push({ p: l.p, pos: l.pos });
        return;
      }
      // No stream leader (a nats-server died and Raft is electing a new one), or the connection is
      // reconnecting: withhold the PUBACK and try again within the bound instead of failing the publisher,
      // whose reconnect and re-send would only add load to the re-election [issue 23].
      if (isTransientPublishError(r.err)) {
        l.p.unavailableSince ??= now;
        const left = l.p.unavailableSince + this.d.appendRetryMs - now;
        if (left > 0) {
          unavailable = Math.max(unavailable, l.p.unavailable++);
          this.retriedUnavailable++;
          budgetMs = Math.min(budgetMs, left);
          retry.push({ p: l.p, pos: l.pos });
          return;
        }
        this.failedUnavailable++;
        l.p.reject(new StoreError('STORE_IO', `JetStream publish to ${l.p.subject} failed for ${this.d.appendRetryMs} ms (store.jetstream.appendRetryMs): ${(r.err as Error).message}`, { cause: r.err }));
        return;
      }
      l.p.reject(new StoreError('STORE_IO', `JetStream publish to ${l.p.subject} failed: ${(r.err as Error).message}`, { cause: r.err }));
    });
    // A link acknowledged after one that failed (its predecessor timed out but did commit) is not in the
    // index yet; neither are other nodes' records that made ours lose.
    if (maxSeq > index.lastSeq) await this.d.catchUpTo(maxSeq);
    if (conflict !== undefined) await this.d.catchUp(conflict);
    if (unavailable >= 0) await this.pause(Math.min(budgetMs, backoffDelay(unavailable, Math.random(), UNAVAILABLE_BACKOFF)));
    else if (conflict === undefined && retry.length > later.length) await new Promise((r) => setTimeout(r, 5));
    if (this.closed !== undefined) {
      for (const x of retry) x.p.reject(this.closed);
      return;
    }
    this.queue.unshift(...retry.sort((x, y) => x.pos - y.pos).map((x) => x.p));
  }
}
