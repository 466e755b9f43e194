import { CausewayError, type Logger } from '@causeway/shared';
import type { SinkControlStore, SinkPause } from '../control/control-store.js';
import type { ServerQueues } from '../queues/contract.js';
import type { SinkSpec } from './sink-spec.js';
import { SinkRunner, type SinkCounters, type SinkState } from './sink-runner.js';
import { PostgresTarget } from './targets/postgres-target.js';
import { WebhookTarget } from './targets/webhook-target.js';
import type { SinkTarget } from './targets/target.js';

export interface SinkStatus {
  name: string;
  queue: string;
  filter?: string;
  group: string;
  transform: string;
  target: string;
  state: SinkState;
  /** messages of the queue not yet acked by the sink's group (-1: unknown, the queue did not answer) */
  lag: number;
  committed: number;
  rowsPerSecond: number;
  counters: SinkCounters & Record<string, number>;
  lastError?: { code: string; message: string; at: number };
}

export interface SinkServiceDeps {
  queues: ServerQueues;
  member: string;
  deadLetter: (sink: string, record: Record<string, unknown>) => Promise<void>;
  logger: Logger;
  /** builds a target (tests may pass their own); default: postgres or webhook from the spec */
  makeTarget?: (spec: SinkSpec) => SinkTarget;
  /** where operators' pauses and resumes are kept (the control store); absent: this process only */
  pauses?: SinkControlStore;
  /** ms between reads of the kept pauses, for a store other nodes write too (JetStream); absent: never */
  syncPausesMs?: number;
}

/** SIGHUP reloads of the sinks config, taken and refused (`causeway_sink_reloads_total`). */
export interface SinkReloadCounters {
  ok: number;
  failed: number;
}

export function defaultTarget(spec: SinkSpec, logger: Logger): SinkTarget {
  return spec.target.type === 'postgres' ? new PostgresTarget(spec.target, spec.transform, logger) : new WebhookTarget(spec.name, spec.target);
}

interface Running {
  /** the spec as the config gave it (a reload compares it) */
  spec: SinkSpec;
  runner: SinkRunner;
  target: SinkTarget;
}

/**
 * The sinks of this node, from the `sinks` config: started with the node, asked by /v1/sinks and /metrics,
 * reloaded on SIGHUP. An operator's pause or resume is kept in the control store, so it holds across a
 * restart, a reload and (JetStream) on whichever node runs the sink; it wins over the config's `paused`.
 */
export class SinkService {
  readonly reloads: SinkReloadCounters = { ok: 0, failed: 0 };
  readonly #running = new Map<string, Running>();
  readonly #d: SinkServiceDeps;
  readonly #configured: readonly SinkSpec[];
  /** reloads run one at a time (two quick SIGHUPs) */
  #reloading: Promise<unknown> = Promise.resolve();
  #sync: NodeJS.Timeout | undefined;
  #syncFailing = false;

  constructor(specs: readonly SinkSpec[], d: SinkServiceDeps) {
    this.#configured = specs;
    this.#d = d;
  }

  /** Starts the configured sinks, each paused or not as an operator last left it. */
  async start(): Promise<void> {
    await this.#apply(this.#configured, await this.#storedPauses());
    if (this.#d.pauses !== undefined && this.#d.syncPausesMs !== undefined) {
      this.#sync = setInterval(() => void this.#syncPauses(), this.#d.syncPausesMs);
      this.#sync.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#sync);
    await this.#reloading;
    await Promise.all([...this.#running.values()].map((r) => r.runner.stop()));
  }

  /**
   * Replaces the running sinks with those `read` returns (SIGHUP): new ones start, removed ones stop, a
   * changed one restarts from its group's committed offset, an unchanged one is not touched. When `read`
   * throws (a file that does not parse, a wrong entry) or a new target cannot be made (an unreadable
   * secret file), nothing changes: the running sinks go on, the error is logged and counted.
   */
  reload(read: () => readonly SinkSpec[]): Promise<boolean> {
    const run = this.#reloading.then(async () => {
      try {
        const specs = read();
        const changes = await this.#apply(specs, await this.#storedPauses());
        this.reloads.ok++;
        this.#d.logger.info('sinks reloaded', changes);
        return true;
      } catch (err) {
        this.reloads.failed++;
        this.#d.logger.error('sinks reload failed; the running sinks are kept', { code: (err as { code?: string }).code ?? 'SINK_RELOAD_FAILED', err: (err as Error).message });
        return false;
      }
    });
    this.#reloading = run;
    return run;
  }

  /** Pauses a sink here and keeps the pause (so it holds after a restart, and on the node that runs it). */
  async pause(name: string): Promise<void> {
    const r = this.get(name);
    await this.#d.pauses?.setPaused(name, true, Date.now());
    r.pause();
  }

  async resume(name: string): Promise<void> {
    const r = this.get(name);
    await this.#d.pauses?.setPaused(name, false, Date.now());
    r.resume();
  }

  names(): string[] {
    return [...this.#running.keys()];
  }

  get(name: string): SinkRunner {
    const r = this.#running.get(name)?.runner;
    if (r === undefined) throw new CausewayError('SINK_NOT_FOUND', `no sink "${name}" (sinks: ${this.names().join(', ') || 'none configured'})`);
    return r;
  }

  async status(name: string): Promise<SinkStatus> {
    const r = this.get(name);
    let lag = -1;
    let committed = -1;
    try {
      const p = await this.#d.queues.lag(r.group);
      lag = p.lag;
      committed = p.committed;
    } catch {
      // the queue is unavailable (JetStream outage): status still answers, lag unknown
    }
    const extra = (this.#running.get(name)?.target as { counters?: Record<string, number> } | undefined)?.counters ?? {};
    const s = r.spec;
    return {
      name: s.name,
      queue: s.queue,
      ...(s.filter === undefined ? {} : { filter: s.filter }),
      group: r.group.group,
      transform: s.transform.type,
      target: r.target,
      state: r.state,
      lag,
      committed,
      rowsPerSecond: Math.round(r.rate.perSecond() * 10) / 10,
      counters: { ...extra, ...r.counters },
      ...(r.lastError === undefined ? {} : { lastError: r.lastError }),
    };
  }

  async list(): Promise<SinkStatus[]> {
    return Promise.all(this.names().map((n) => this.status(n)));
  }

  async #storedPauses(): Promise<Map<string, SinkPause>> {
    return (await this.#d.pauses?.pauses()) ?? new Map();
  }

  /** Makes the running sinks those of `specs`. Every new target is made before any running sink is touched. */
  async #apply(specs: readonly SinkSpec[], pauses: Map<string, SinkPause>): Promise<{ added: string[]; removed: string[]; changed: string[]; unchanged: string[] }> {
    const wanted = new Map(specs.map((s) => [s.name, s]));
    const removed = [...this.#running.keys()].filter((n) => !wanted.has(n));
    const changed: string[] = [];
    const added: string[] = [];
    const unchanged: string[] = [];
    const made = new Map<string, SinkTarget>();
    try {
      for (const spec of specs) {
        const cur = this.#running.get(spec.name);
        if (cur !== undefined && JSON.stringify(cur.spec) === JSON.stringify(spec)) {
          unchanged.push(spec.name);
          continue;
        }
        (cur === undefined ? added : changed).push(spec.name);
        made.set(spec.name, this.#d.makeTarget?.(spec) ?? defaultTarget(spec, this.#d.logger));
      }
    } catch (err) {
      await Promise.all([...made.values()].map((t) => t.close()));
      throw err;
    }
    // A stopped runner finishes the write in flight and acks it; what it pulled and did not write comes
    // back to the group after the visibility timeout, to the runner that replaces it.
    await Promise.all([...removed, ...changed].map((n) => this.#running.get(n)!.runner.stop()));
    for (const n of removed) this.#running.delete(n);
    for (const [name, target] of made) {
      const spec = wanted.get(name)!;
      const paused = pauses.get(name)?.paused ?? spec.paused;
      const runner = new SinkRunner({ ...spec, paused }, { queues: this.#d.queues, target, member: this.#d.member, deadLetter: this.#d.deadLetter, logger: this.#d.logger });
      this.#running.set(name, { spec, runner, target });
      runner.start();
    }
    return { added, removed, changed, unchanged };
  }

  /** Applies pauses and resumes another node kept (it may run a sink whose pause was asked of that node). */
  async #syncPauses(): Promise<void> {
    try {
      const pauses = await this.#storedPauses();
      this.#syncFailing = false;
      for (const [name, p] of pauses) {
        const r = this.#running.get(name)?.runner;
        if (r === undefined || r.paused === p.paused) continue;
        if (p.paused) r.pause();
        else r.resume();
        this.#d.logger.info(p.paused ? 'sink paused (kept by another node)' : 'sink resumed (kept by another node)', { sink: name });
      }
    } catch (err) {
      if (!this.#syncFailing) this.#d.logger.warn('sink pauses could not be read; retrying', { err: (err as Error).message });
      this.#syncFailing = true;
    }
  }
}
