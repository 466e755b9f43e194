import { CausewayError, validateId } from '@causeway/shared';
import { type MessageLog, type OffsetStore, serverQueue } from '@causeway/broker';
import { QueueCursor } from './consumer-group.js';
import type { QueueMessage } from './queue-message.js';
import { validateGroupSpec, type GroupPosition, type GroupSpec, type ServerQueues } from './contract.js';

// The spec and its validation are the contract's; re-exported for the callers that import them from here.
export { validateGroupSpec, type GroupSpec };

export interface QueueServiceOptions {
  visibilityTimeoutMs: number;
  window: number;
  now?: () => number;
}

/**
 * Server-side queues for backend apps: consumer groups over the first-level queues of the log (no copies:
 * a group holds only an offset). Long-poll waiters are woken by `notify(queue)`, which the broker calls
 * after each append.
 */
export class QueueService implements ServerQueues {
  readonly #log: MessageLog;
  readonly #offsets: OffsetStore;
  readonly #o: QueueServiceOptions;
  readonly #groups = new Map<string, { spec: GroupSpec; cursors: Map<string, QueueCursor> }>();
  readonly #waiters = new Map<string, Set<() => void>>();

  constructor(log: MessageLog, offsets: OffsetStore, opts: QueueServiceOptions) {
    this.#log = log;
    this.#offsets = offsets;
    this.#o = opts;
  }

  #group(spec: GroupSpec): { spec: GroupSpec; cursors: Map<string, QueueCursor> } {
    validateGroupSpec(spec);
    const id = `${spec.queue}\u0000${spec.group}`;
    let g = this.#groups.get(id);
    if (g === undefined) {
      g = { spec, cursors: new Map() };
      this.#groups.set(id, g);
    } else if (g.spec.mode !== spec.mode || g.spec.filter !== spec.filter) {
      throw new CausewayError('QUEUE_GROUP_CONFLICT', `group ${spec.group} on ${spec.queue} is ${g.spec.mode}${g.spec.filter ? ` with filter ${g.spec.filter}` : ''}; asked for ${spec.mode}${spec.filter ? ` with filter ${spec.filter}` : ''}`);
    }
    return g;
  }

  #cursor(spec: GroupSpec, member: string): QueueCursor {
    const g = this.#group(spec);
    const key = spec.mode === 'clustering' ? '' : member;
    let c = g.cursors.get(key);
    if (c === undefined) {
      const consumer = spec.mode === 'clustering' ? `group:${spec.group}` : `group:${spec.group}/${member}`;
      const opts = { visibilityTimeoutMs: this.#o.visibilityTimeoutMs, window: this.#o.window, ...(spec.filter === undefined ? {} : { filter: spec.filter }), ...(this.#o.now === undefined ? {} : { now: this.#o.now }) };
      c = new QueueCursor(this.#log, this.#offsets, spec.queue, consumer, opts);
      g.cursors.set(key, c);
    }
    return c;
  }

  /** Leases up to `max` messages; waits up to `waitMs` for the first one (long-poll). */
  async pull(spec: GroupSpec, member: string, max: number, waitMs = 0, signal?: AbortSignal): Promise<QueueMessage[]> {
    validateId(member, 'member id');
    const cursor = this.#cursor(spec, member);
    const deadline = Date.now() + waitMs;
    while (true) {
      const got = await cursor.pull(member, max);
      const left = deadline - Date.now();
      if (got.length > 0 || left <= 0 || signal?.aborted) return got;
      await this.#wait(spec.queue, Math.min(left, this.#o.visibilityTimeoutMs), signal);
    }
  }

  // async so that a bad spec rejects like every other call of the contract instead of throwing at the caller
  async ack(spec: GroupSpec, member: string, offsets: readonly number[]): Promise<number> {
    return this.#cursor(spec, member).ack(member, offsets);
  }

  /** Hands leased messages back before their visibility timeout (they go to the next pull). */
  async release(spec: GroupSpec, member: string, offsets: readonly number[]): Promise<number> {
    return this.#cursor(spec, member).release(member, offsets);
  }

  /** Replays from an offset or from the first message at/after a time, for the group (or one broadcasting member). */
  async seek(spec: GroupSpec, member: string, to: { offset: number } | { time: number }): Promise<number> {
    const offset = 'offset' in to ? to.offset : await this.#log.offsetForTime(serverQueue(spec.queue), to.time);
    await this.#cursor(spec, member).seek(offset);
    return offset;
  }

  async lag(spec: GroupSpec, member = 'default'): Promise<GroupPosition> {
    return this.#cursor(spec, member).position();
  }

  /**
   * Forgets a group: its cursors, their leases and its mode, so the next use reloads the committed
   * offsets. Called when another node took the group over (cloud/src/store/jetstream/clustered-queues.ts).
   */
  forgetGroup(queue: string, group: string): boolean {
    return this.#groups.delete(`${queue}\u0000${group}`);
  }

  /** Groups known to this node, with their mode. */
  groups(): GroupSpec[] {
    return [...this.#groups.values()].map((g) => g.spec);
  }

  /** Wakes long-polls on a queue; the broker calls this after each append (bare name). */
  notify(queue: string): void {
    const set = this.#waiters.get(queue);
    if (set === undefined) return;
    this.#waiters.delete(queue);
    for (const wake of set) wake();
  }

  #wait(queue: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let set = this.#waiters.get(queue);
      if (set === undefined) {
        set = new Set();
        this.#waiters.set(queue, set);
      }
      const done = (): void => {
        clearTimeout(timer);
        set!.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
