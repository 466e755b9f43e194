import { CausewayError, type Logger } from '@causeway/shared';
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
}

export function defaultTarget(spec: SinkSpec, logger: Logger): SinkTarget {
  return spec.target.type === 'postgres' ? new PostgresTarget(spec.target, spec.transform, logger) : new WebhookTarget(spec.name, spec.target);
}

/** The sinks of this node, from the `sinks` config: started with the node, asked by /v1/sinks and /metrics. */
export class SinkService {
  readonly #runners = new Map<string, SinkRunner>();
  readonly #targets = new Map<string, SinkTarget>();
  readonly #queues: ServerQueues;

  constructor(specs: readonly SinkSpec[], d: SinkServiceDeps) {
    this.#queues = d.queues;
    for (const spec of specs) {
      const target = d.makeTarget?.(spec) ?? defaultTarget(spec, d.logger);
      this.#targets.set(spec.name, target);
      this.#runners.set(spec.name, new SinkRunner(spec, { queues: d.queues, target, member: d.member, deadLetter: d.deadLetter, logger: d.logger }));
    }
  }

  start(): void {
    for (const r of this.#runners.values()) r.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#runners.values()].map((r) => r.stop()));
  }

  names(): string[] {
    return [...this.#runners.keys()];
  }

  get(name: string): SinkRunner {
    const r = this.#runners.get(name);
    if (r === undefined) throw new CausewayError('SINK_NOT_FOUND', `no sink "${name}" (sinks: ${this.names().join(', ') || 'none configured'})`);
    return r;
  }

  async status(name: string): Promise<SinkStatus> {
    const r = this.get(name);
    let lag = -1;
    let committed = -1;
    try {
      const p = await this.#queues.lag(r.group);
      lag = p.lag;
      committed = p.committed;
    } catch {
      // the queue is unavailable (JetStream outage): status still answers, lag unknown
    }
    const extra = (this.#targets.get(name) as { counters?: Record<string, number> } | undefined)?.counters ?? {};
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
}
