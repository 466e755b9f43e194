import { ErrorCode, type Msg, type NatsConnection, type Subscription } from 'nats';
import { CausewayError, type Logger } from '@causeway/shared';
import { type GroupPosition, type GroupSpec, type ServerQueues, validateGroupSpec } from '../../queues/contract.js';
import type { QueueMessage } from '../../queues/queue-message.js';
import type { QueueService } from '../../queues/queue-service.js';
import type { GroupLeases } from './group-leases.js';
import { errorReply, fromWire, isPing, parseRequest, PING, type QueueRequest, type Reply, toWire, type WireMessage } from './queue-wire.js';
import { escapeToken, unescapeToken } from './subject-escape.js';

/**
 * While a forwarded call waits, the owner is asked "are you there?" this often (and given as long to
 * answer): a dead owner is found within about this long, not after the call's timeout [issue 23].
 */
const PROBE_MS = 1000;

export interface ClusteredQueuesCounters {
  /** operations this node sent to the node that runs the group */
  forwarded: number;
  /** operations this node ran for other nodes */
  served: number;
  /** a lease named a node that no longer answered (no responders), removed so another node took it */
  evicted: number;
  /** messages leased for another node that did not fit one NATS message, handed back at once */
  released: number;
  /** groups this node stopped running because another node took them over */
  lost: number;
}

export interface ClusteredQueuesOptions {
  /** `<prefix>.queues`: requests for node N go to `<prefix>.queues.<N escaped>` */
  subject: string;
  /** ms to wait for the owning node beyond a pull's own wait; default 5000 (a dead owner is found sooner, by probes) */
  requestTimeoutMs?: number;
  logger?: Logger;
}

/** The lease key of a group: one node runs all of a group's cursors (clustering or broadcasting). */
export function groupKey(queue: string, group: string): string {
  return `${escapeToken(queue)}.${escapeToken(group)}`;
}

function parseGroupKey(key: string): { queue: string; group: string } | undefined {
  const [q, g, extra] = key.split('.');
  if (q === undefined || g === undefined || extra !== undefined) return undefined;
  try {
    return { queue: unescapeToken(q), group: unescapeToken(g) };
  } catch {
    return undefined;
  }
}

/**
 * Server-side queues over several nodes sharing one JetStream store. Each consumer group is run by ONE
 * node — the holder of its lease in KV `<prefix>_leases` (GroupLeases) — whose local QueueService keeps
 * the group's cursors: which messages are leased to which member, per-device order, redelivery. Any node
 * takes a backend app's pull/ack/seek/lag: if it runs the group it answers itself, otherwise it forwards
 * the call over core NATS to the owner (`<prefix>.queues.<owner>`). So the members of a clustering group
 * get disjoint messages whichever nodes they talk to, and a broadcasting member has one cursor.
 *
 * Failure: committed offsets are in KV (the OffsetStore) and move only over acked messages, so a node
 * that takes a group over reloads them and redelivers what was leased and not acked — at-least-once,
 * never loss. A dead owner is found at once when NATS reports no responders for its subject (its lease
 * is then removed by compare-and-set and the caller takes the group); a hung one when its lease lapses.
 */
export class ClusteredQueues implements ServerQueues {
  readonly counters: ClusteredQueuesCounters = { forwarded: 0, served: 0, evicted: 0, released: 0, lost: 0 };
  readonly #local: QueueService;
  readonly #nc: NatsConnection;
  readonly #leases: GroupLeases;
  readonly #o: ClusteredQueuesOptions;
  readonly #timeoutMs: number;
  /** groups used through this node: id → spec (GET /v1/queues lists them) */
  readonly #seen = new Map<string, GroupSpec>();
  #sub: Subscription | undefined;
  readonly #serving = new Set<Promise<void>>();
  /** liveness probes in flight, by owner */
  readonly #probes = new Map<string, Promise<'alive' | 'gone' | 'silent'>>();

  constructor(local: QueueService, nc: NatsConnection, leases: GroupLeases, o: ClusteredQueuesOptions) {
    this.#local = local;
    this.#nc = nc;
    this.#leases = leases;
    this.#o = o;
    this.#timeoutMs = o.requestTimeoutMs ?? 5000;
  }

  /** Called by GroupLeases when another node took a group this node ran: its cursors are dropped here. */
  onLeaseLost(key: string): void {
    const g = parseGroupKey(key);
    if (g === undefined) return;
    this.counters.lost++;
    this.#local.forgetGroup(g.queue, g.group);
    this.#o.logger?.info('consumer group moved to another node', { queue: g.queue, group: g.group });
  }

  /** The core NATS subject this node answers forwarded calls on. */
  get subject(): string {
    return this.#subjectOf(this.#leases.nodeId);
  }

  /** Starts answering other nodes' requests for the groups this node runs. */
  start(): void {
    this.#sub = this.#nc.subscribe(this.subject, {
      callback: (err, msg) => {
        if (err !== null) return;
        const p = this.#serve(msg).finally(() => this.#serving.delete(p));
        this.#serving.add(p);
      },
    });
    this.#leases.start();
  }

  pull(spec: GroupSpec, member: string, max: number, waitMs = 0, signal?: AbortSignal): Promise<QueueMessage[]> {
    return this.#call({ op: 'pull', spec, member, max, waitMs }, waitMs, signal) as Promise<QueueMessage[]>;
  }

  ack(spec: GroupSpec, member: string, offsets: readonly number[]): Promise<number> {
    return this.#call({ op: 'ack', spec, member, offsets: [...offsets] }) as Promise<number>;
  }

  seek(spec: GroupSpec, member: string, to: { offset: number } | { time: number }): Promise<number> {
    return this.#call({ op: 'seek', spec, member, to }) as Promise<number>;
  }

  lag(spec: GroupSpec, member = 'default'): Promise<GroupPosition> {
    return this.#call({ op: 'lag', spec, member }) as Promise<GroupPosition>;
  }

  async runsHere(spec: GroupSpec): Promise<boolean> {
    validateGroupSpec(spec);
    return (await this.#leases.owner(groupKey(spec.queue, spec.group))) === this.#leases.nodeId;
  }

  groups(): GroupSpec[] {
    const all = new Map(this.#seen);
    for (const g of this.#local.groups()) all.set(`${g.queue}\u0000${g.group}`, g);
    return [...all.values()];
  }

  notify(queue: string): void {
    this.#local.notify(queue);
  }

  /** Stops answering and gives this node's leases back, so other nodes take its groups at once. */
  async close(): Promise<void> {
    await this.#sub?.drain().catch(() => undefined);
    await Promise.allSettled([...this.#serving]);
    await this.#leases.close();
  }

  #subjectOf(node: string): string {
    return `${this.#o.subject}.${escapeToken(node)}`;
  }

  #runLocal(r: QueueRequest, signal?: AbortSignal): Promise<unknown> {
    switch (r.op) {
      case 'pull':
        return this.#local.pull(r.spec, r.member, r.max, r.waitMs, signal);
      case 'ack':
        return this.#local.ack(r.spec, r.member, r.offsets);
      case 'seek':
        return this.#local.seek(r.spec, r.member, r.to);
      case 'lag':
        return this.#local.lag(r.spec, r.member);
    }
  }

  async #call(r: QueueRequest, waitMs = 0, signal?: AbortSignal): Promise<unknown> {
    validateGroupSpec(r.spec);
    const out = await this.#route(r, waitMs, signal);
    // listed only once the owner accepted it: a spec refused (a mode conflict) must not reach GET /v1/queues
    this.#seen.set(`${r.spec.queue}\u0000${r.spec.group}`, r.spec);
    return out;
  }

  /**
   * Sends `r` to the owner and waits for its reply, probing the owner meanwhile: a kill -9 of the owner
   * after it received the call (or while its subscription was still known to the cluster) otherwise shows
   * only as a timeout after the call's whole wait [issue 23]. 'gone': no responders, or the owner answered
   * neither the call nor a probe. An owner that answers probes but not the call in time is slow, not gone:
   * QUEUE_OWNER_UNAVAILABLE (503; the client tries again).
   */
  async #forward(owner: string, r: QueueRequest, waitMs: number): Promise<Reply | 'gone'> {
    const subject = this.#subjectOf(owner);
    const noResponders = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === ErrorCode.NoResponders;
    const probe = (): Promise<'alive' | 'gone' | 'silent'> => {
      // Calls waiting on the same owner share one probe: many long-polls cost one ping a second, not one each.
      let p = this.#probes.get(owner);
      if (p === undefined) {
        p = this.#nc.request(subject, PING, { timeout: PROBE_MS }).then(
          () => 'alive' as const,
          (err: unknown) => (noResponders(err) ? 'gone' : 'silent'),
        );
        this.#probes.set(owner, p);
        void p.finally(() => this.#probes.delete(owner));
      }
      return p;
    };
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const watchdog = new Promise<'gone'>((resolve) => {
      const tick = (): void => {
        timer = setTimeout(() => {
          void probe().then((p) => {
            if (settled) return;
            if (p === 'gone') resolve('gone');
            else tick();
          });
        }, PROBE_MS);
      };
      tick();
    });
    const call = this.#nc.request(subject, JSON.stringify(r), { timeout: waitMs + this.#timeoutMs }).then(
      (m) => m.json<Reply>(),
      async (err: unknown): Promise<Reply | 'gone'> => {
        if (noResponders(err)) return 'gone';
        const p = await probe();
        if (p !== 'alive') return 'gone';
        throw new CausewayError('QUEUE_OWNER_UNAVAILABLE', `node ${owner}, which runs group ${r.spec.group} on ${r.spec.queue}, did not answer: ${(err as Error).message}`, { cause: err });
      },
    );
    try {
      return await Promise.race([call, watchdog]);
    } finally {
      settled = true;
      clearTimeout(timer);
      // the abandoned call (owner gone) still times out later; nobody waits for it
      call.catch(() => undefined);
    }
  }

  async #route(r: QueueRequest, waitMs: number, signal?: AbortSignal): Promise<unknown> {
    const key = groupKey(r.spec.queue, r.spec.group);
    for (let attempt = 0; attempt < 3; attempt++) {
      const owner = await this.#leases.owner(key);
      if (owner === this.#leases.nodeId) return this.#runLocal(r, signal);
      this.counters.forwarded++;
      const reply = await this.#forward(owner, r, waitMs);
      if (reply === 'gone') {
        // Nobody listens for the owner any more (it died or lost NATS), or it took the call and went
        // silent: take the group over. If it is merely hung, its next renewal finds the lease gone and it
        // drops its cursors (duplicates at worst, never a loss).
        this.counters.evicted++;
        this.#o.logger?.warn('consumer group owner is gone; taking the group over', { queue: r.spec.queue, group: r.spec.group, owner });
        await this.#leases.evict(key, owner);
        continue;
      }
      if ('ok' in reply) return r.op === 'pull' ? (reply.ok as WireMessage[]).map(fromWire) : reply.ok;
      if (reply.error.code === 'QUEUE_NOT_OWNER') {
        this.#leases.forget(key);
        continue;
      }
      throw new CausewayError(reply.error.code, reply.error.message);
    }
    throw new CausewayError('QUEUE_OWNER_UNAVAILABLE', `group ${r.spec.group} on ${r.spec.queue} changed node three times during one call; try again`);
  }

  async #serve(msg: Msg): Promise<void> {
    let reply: Reply;
    try {
      let body: unknown;
      try {
        body = msg.json();
      } catch {
        throw new CausewayError('QUEUE_BAD_REQUEST', 'forwarded queue request: not JSON');
      }
      if (isPing(body)) {
        msg.respond(JSON.stringify({ ok: true }));
        return;
      }
      const r = parseRequest(body);
      if (!this.#leases.holds(groupKey(r.spec.queue, r.spec.group))) {
        reply = { error: { code: 'QUEUE_NOT_OWNER', message: `node ${this.#leases.nodeId} does not run group ${r.spec.group} on ${r.spec.queue}` } };
      } else {
        this.counters.served++;
        const out = await this.#runLocal(r);
        reply = { ok: r.op === 'pull' ? await this.#fit(r, out as QueueMessage[]) : out };
      }
    } catch (err) {
      reply = errorReply(err);
    }
    try {
      msg.respond(JSON.stringify(reply));
    } catch (err) {
      this.#o.logger?.warn('could not answer a forwarded queue request', { err });
    }
  }

  /**
   * The pulled messages that fit in one NATS message (the server's max_payload, 1 MiB by default); the
   * rest are handed back to the group at once, so the member gets them on its next pull.
   */
  async #fit(r: Extract<QueueRequest, { op: 'pull' }>, msgs: QueueMessage[]): Promise<WireMessage[]> {
    const limit = (this.#nc.info?.max_payload ?? 1024 * 1024) - 1024;
    const out: WireMessage[] = [];
    let size = 10;
    const back: number[] = [];
    for (const m of msgs) {
      const w = toWire(m);
      const n = Buffer.byteLength(JSON.stringify(w)) + 1;
      if (back.length === 0 && size + n <= limit) {
        out.push(w);
        size += n;
      } else back.push(m.offset);
    }
    if (back.length > 0) {
      this.counters.released += back.length;
      await this.#local.release(r.spec, r.member, back);
      if (out.length === 0) throw new CausewayError('QUEUE_MESSAGE_TOO_LARGE', `message at offset ${back[0]} of ${r.spec.queue} does not fit in one NATS message (${limit} bytes); pull it from the node that runs group ${r.spec.group}`);
    }
    return out;
  }
}
