import { backoffDelay, type BackoffPolicy, type Logger } from '@causeway/shared';
import type { GroupSpec, ServerQueues } from '../queues/contract.js';
import type { QueueMessage } from '../queues/queue-message.js';
import { sinkGroup, type SinkSpec } from './sink-spec.js';
import { messageRows, type SinkRow } from './transform.js';
import type { SinkTarget } from './targets/target.js';
import { RateWindow } from './rate-window.js';

/** running: pulling and writing; backing off: the target failed, the batch is retried after a delay; paused: by an operator; standby: another node holds the group's lease. */
export type SinkState = 'running' | 'backing off' | 'paused' | 'standby' | 'stopped';

export interface SinkCounters {
  /** rows the target committed */
  rows: number;
  /** batches written and acked */
  batches: number;
  /** failed writes (each retried) */
  failures: number;
  /** messages the transform could not read (sent to the dead-letter queue) */
  malformed: number;
  /** batches the target refused for good (sent to the dead-letter queue) */
  deadLettered: number;
}

export interface SinkRunnerDeps {
  queues: ServerQueues;
  target: SinkTarget;
  /** this node's member name in the group */
  member: string;
  /** appends a record to the dead-letter queue; resolves after the durable append */
  deadLetter: (sink: string, record: Record<string, unknown>) => Promise<void>;
  logger: Logger;
  backoff?: BackoffPolicy;
  /** ms a pull waits for the first message */
  pullWaitMs?: number;
  /** ms between checks of the group's lease while another node runs the sink */
  standbyMs?: number;
}

interface PreparedBatch {
  rows: SinkRow[];
  malformed: Array<{ offset: number; topic: string; code: string; reason: string }>;
  offsets: number[];
  batchId: string;
}

/** Retries of a failed write: 250 ms growing to 30 s, with some jitter. */
const SINK_BACKOFF: BackoffPolicy = { baseMs: 250, capMs: 30_000, minMs: 100, jitter: 0.5 };

/**
 * One sink: a member of the clustering consumer group `_sink-<name>` on its queue. Pull a batch →
 * transform → write to the target → ack only after the target committed. A failed write is retried with
 * backoff (the same batch, so order and the ack rule hold) until it succeeds, the operator pauses the
 * sink, or the node stops — the queue lags meanwhile, nothing is lost. Unacked messages come back after a
 * restart (committed offsets move only over acks). On JetStream the sink runs only on the node that
 * holds the group's lease; the others stand by and take over when the lease moves.
 */
export class SinkRunner {
  readonly spec: SinkSpec;
  readonly group: GroupSpec;
  readonly counters: SinkCounters = { rows: 0, batches: 0, failures: 0, malformed: 0, deadLettered: 0 };
  readonly rate = new RateWindow(10_000);
  state: SinkState = 'stopped';
  lastError: { code: string; message: string; at: number } | undefined;
  readonly #d: SinkRunnerDeps;
  readonly #ac = new AbortController();
  #paused: boolean;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #held: PreparedBatch | undefined;

  constructor(spec: SinkSpec, deps: SinkRunnerDeps) {
    this.spec = spec;
    this.#d = deps;
    this.#paused = spec.paused;
    this.group = { queue: spec.queue, group: sinkGroup(spec.name), mode: 'clustering', ...(spec.filter === undefined ? {} : { filter: spec.filter }) };
  }

  get target(): string {
    return this.#d.target.describe;
  }

  /** paused by the operator (or the config), whatever the loop is doing */
  get paused(): boolean {
    return this.#paused;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** No write starts after this (one in flight finishes and is acked); a batch in backoff is kept for resume. */
  pause(): void {
    this.#paused = true;
    if (this.state !== 'stopped') this.state = 'paused';
    this.#wake?.();
  }

  resume(): void {
    this.#paused = false;
    this.#wake?.();
  }

  /** Moves the group (replay): the next pull starts at `to`. Rows already in the target are skipped by its key. */
  async replay(to: { offset: number } | { time: number }): Promise<number> {
    const offset = await this.#d.queues.seek(this.group, this.#d.member, to);
    this.#d.logger.info('sink replay', { sink: this.spec.name, offset });
    this.#wake?.();
    return offset;
  }

  async stop(): Promise<void> {
    this.#ac.abort();
    this.#wake?.();
    await this.#loop;
    await this.#d.target.close();
    this.state = 'stopped';
  }

  /** Sleeps `ms`, or less when paused, resumed, replayed or stopped. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.#wake = undefined;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  async #run(): Promise<void> {
    const signal = this.#ac.signal;
    this.#d.logger.info('sink started', { sink: this.spec.name, queue: this.spec.queue, group: this.group.group, target: this.target, paused: this.#paused });
    // The next batch is pulled and transformed while the current one is written (the target works in
    // another process): still leased to this member, acked only after its own commit, written after the
    // current one.
    let next: Promise<PreparedBatch | undefined> | undefined;
    while (!signal.aborted) {
      try {
        if (this.#paused) {
          this.state = 'paused';
          await this.#sleep(60_000);
          continue;
        }
        if (next === undefined && this.#d.queues.runsHere !== undefined && !(await this.#d.queues.runsHere(this.group))) {
          this.state = 'standby';
          await this.#sleep(this.#d.standbyMs ?? 2000);
          continue;
        }
        if (this.state !== 'backing off') this.state = 'running';
        if (this.#held !== undefined) {
          // a batch whose retries a pause interrupted: it goes first, so per-device order holds
          const held = this.#held;
          this.#held = undefined;
          await this.#deliver(held);
          continue;
        }
        const batch = await (next ?? this.#prepare(signal));
        next = undefined;
        if (batch === undefined) continue;
        next = this.#prepare(signal);
        next.catch(() => undefined); // awaited at the top of the loop; a failure is handled there
        await this.#deliver(batch);
      } catch (err) {
        next = undefined;
        if (signal.aborted) break;
        // the queue itself failed (a JetStream outage): wait and pull again; leased messages come back
        this.#fail(err);
        await this.#sleep(1000);
      }
    }
  }

  /** Pulls a batch and transforms it; undefined when nothing came within the pull's wait. */
  async #prepare(signal: AbortSignal): Promise<PreparedBatch | undefined> {
    const msgs = await this.#pull(signal);
    return msgs.length === 0 ? undefined : this.#transform(msgs);
  }

  #pull(signal: AbortSignal): Promise<QueueMessage[]> {
    return this.#d.queues.pull(this.group, this.#d.member, this.spec.maxMessages, this.#d.pullWaitMs ?? 1000, signal);
  }

  #fail(err: unknown): void {
    const e = err as { code?: string; message?: string };
    this.counters.failures++;
    this.lastError = { code: e.code ?? 'SINK_FAILED', message: e.message ?? String(err), at: Date.now() };
    this.#d.logger.warn('sink write failed; retrying', { sink: this.spec.name, code: this.lastError.code, err: this.lastError.message });
  }

  /** The rows of a pulled batch, and what the transform could not read. */
  #transform(msgs: QueueMessage[]): PreparedBatch {
    const rows: SinkRow[] = [];
    const malformed: PreparedBatch['malformed'] = [];
    for (const m of msgs) {
      const r = messageRows(this.spec.transform, m.topic, m.payload);
      if (r.ok) for (const row of r.rows) rows.push(row);
      else malformed.push({ offset: m.offset, topic: m.topic, code: r.code, reason: r.reason });
    }
    const offsets = msgs.map((m) => m.offset);
    return { rows, malformed, offsets, batchId: `${this.spec.name}-${offsets[0]}-${offsets[offsets.length - 1]}` };
  }

  /** Writes one pulled batch until the target takes it (or refuses it for good), then acks it. */
  async #deliver({ rows, malformed, offsets, batchId }: PreparedBatch): Promise<void> {
    if (malformed.length > 0) {
      // Bad input is counted and kept (dead-letter queue), and the sink keeps running.
      this.counters.malformed += malformed.length;
      this.#d.logger.warn('sink: messages the transform cannot read, sent to the dead-letter queue', { sink: this.spec.name, count: malformed.length, code: malformed[0]!.code, offset: malformed[0]!.offset });
      await this.#d.deadLetter(this.spec.name, { sink: this.spec.name, reason: 'malformed', messages: malformed });
    }
    for (let attempt = 0; ; attempt++) {
      if (this.#ac.signal.aborted || this.#paused) {
        // Not acked: after a resume it is retried first; after a stop it is delivered again after the restart.
        this.#held = { rows, malformed: [], offsets, batchId };
        return;
      }
      try {
        const out = await this.#d.target.write(rows, batchId);
        if (!out.ok) {
          this.counters.deadLettered++;
          this.lastError = { code: 'SINK_TARGET_REFUSED', message: `${this.target}: HTTP ${out.status}`, at: Date.now() };
          this.#d.logger.warn('sink: target refused a batch; sent to the dead-letter queue', { sink: this.spec.name, status: out.status, batchId });
          await this.#d.deadLetter(this.spec.name, { sink: this.spec.name, reason: 'refused', target: this.target, status: out.status, response: out.response, batchId, offsets, rows });
        } else {
          this.counters.rows += rows.length;
          this.rate.add(rows.length);
        }
        break;
      } catch (err) {
        this.state = 'backing off';
        this.#fail(err);
        await this.#sleep(backoffDelay(attempt, Math.random(), this.#d.backoff ?? SINK_BACKOFF));
      }
    }
    // Only now: the target committed (or the dead-letter queue has the batch).
    await this.#d.queues.ack(this.group, this.#d.member, offsets);
    this.counters.batches++;
    if (this.state === 'backing off') this.state = 'running';
  }
}
