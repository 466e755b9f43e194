import { type KV, KvWatchInclude } from 'nats';
import { next, OPEN as OPEN_STATES, STATES, type TargetEvent, type TargetState } from '../../control/command-state.js';
import type { CommandRecord, CommandStatus, CommandStore, ControlChange, TargetDetail, TargetKey, TargetRow } from '../../control/control-store.js';
import { compareAndSet } from './kv-compare-and-set.js';
import { isPut, scanKv } from './kv-scan.js';
import { RunningMarkers } from './running-markers.js';
import { escapeToken } from './subject-escape.js';

/** KV writes in flight at once when a command's targets are created */
const WRITE_CONCURRENCY = 64;
const OPEN: ReadonlySet<TargetState> = new Set(OPEN_STATES);

interface StoredTarget extends TargetRow {
  sentAt?: number;
}

async function inBatches<T>(items: readonly T[], size: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

const byGatewayDevice = (a: TargetKey, b: TargetKey): number =>
  a.gateway < b.gateway ? -1 : a.gateway > b.gateway ? 1 : a.device < b.device ? -1 : a.device > b.device ? 1 : 0;

/**
 * Commands in two KV buckets shared by every node:
 * - `<prefix>_commands`: `c.<id>` = the command record, `r.<id>` = a marker while it is RUNNING (so the
 *   tick of every node reads the running commands, not every command ever sent);
 * - `<prefix>_cmd_targets`: `<id>.<gateway>.<device>` (escaped tokens) = the target's state, so one
 *   command's targets are one subject filter (`<id>.>`) and each target is its own compare-and-set.
 * Counts and the "anything still open?" check read the command's targets (one ordered consumer); the
 * service coalesces them per command.
 */
export class JetStreamCommandStore implements CommandStore {
  /** the `r.<id>` markers, followed by one watch rather than read anew each tick [issue 23] */
  readonly markers: RunningMarkers;

  constructor(
    private readonly commandsKv: KV,
    private readonly targetsKv: KV,
    private readonly timeoutMs: number,
  ) {
    this.markers = new RunningMarkers(commandsKv, timeoutMs);
  }

  /** Ends the markers' watch (the connection itself belongs to the store). */
  stop(): void {
    this.markers.stop();
  }

  #targetKey(id: string, t: TargetKey): string {
    return `${escapeToken(id)}.${escapeToken(t.gateway)}.${escapeToken(t.device)}`;
  }

  async create(rec: CommandRecord, targets: readonly TargetKey[], at: number): Promise<void> {
    // Targets first, the record last: a node that dies half-way leaves targets nobody lists, never a
    // command whose targets are missing. The operator got no 2xx and sends again.
    await inBatches(targets, WRITE_CONCURRENCY, (t) => {
      const row: StoredTarget = { gateway: t.gateway, device: t.device, state: 'QUEUED', updatedAt: at };
      return this.targetsKv.put(this.#targetKey(rec.id, t), JSON.stringify(row));
    });
    await this.commandsKv.put(`r.${escapeToken(rec.id)}`, '1');
    await this.commandsKv.put(`c.${escapeToken(rec.id)}`, JSON.stringify(rec));
    this.markers.add(rec.id);
  }

  async get(id: string): Promise<CommandRecord | undefined> {
    const e = await this.commandsKv.get(`c.${escapeToken(id)}`);
    return e === null || !isPut(e) ? undefined : (e.json() as CommandRecord);
  }

  async list(limit: number): Promise<CommandRecord[]> {
    const all = (await scanKv(this.commandsKv, 'c.>', this.timeoutMs)).map((e) => e.json() as CommandRecord);
    return all.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1)).slice(0, limit);
  }

  async running(): Promise<CommandRecord[]> {
    const ids = await this.markers.ids();
    const recs = await Promise.all(ids.map((id) => this.get(id)));
    // A marker without its record is a create that died half-way: never RUNNING.
    return recs.filter((r): r is CommandRecord => r !== undefined && r.status === 'RUNNING');
  }

  async setStatus(id: string, status: Exclude<CommandStatus, 'RUNNING'>): Promise<boolean> {
    const won = await compareAndSet<CommandRecord, true>(this.commandsKv, `c.${escapeToken(id)}`, (cur) =>
      cur === undefined || cur.status !== 'RUNNING' ? undefined : { value: { ...cur, status }, result: true },
    );
    if (won === true) {
      await this.commandsKv.delete(`r.${escapeToken(id)}`);
      this.markers.delete(id);
    }
    return won === true;
  }

  async transition(id: string, t: TargetKey, event: TargetEvent, detail: TargetDetail, at: number): Promise<TargetState | undefined> {
    return compareAndSet<StoredTarget, TargetState>(this.targetsKv, this.#targetKey(id, t), (cur) => {
      if (cur === undefined) return undefined;
      const to = next(cur.state, event);
      if (to === undefined) return undefined;
      const value: StoredTarget = {
        ...cur,
        state: to,
        updatedAt: at,
        ...(detail.reason === undefined ? {} : { reason: detail.reason }),
        ...(detail.output === undefined ? {} : { output: detail.output }),
        ...(to === 'SENT' ? { sentAt: at } : {}),
      };
      return { value, result: to };
    });
  }

  async #all(id: string): Promise<StoredTarget[]> {
    return (await scanKv(this.targetsKv, `${escapeToken(id)}.>`, this.timeoutMs)).map((e) => e.json() as StoredTarget);
  }

  async targets(id: string, state?: TargetState): Promise<TargetRow[]> {
    return (await this.#all(id))
      .filter((t) => state === undefined || t.state === state)
      .sort(byGatewayDevice);
  }

  async target(id: string, t: TargetKey): Promise<TargetRow | undefined> {
    const e = await this.targetsKv.get(this.#targetKey(id, t));
    return e === null || !isPut(e) ? undefined : (e.json() as StoredTarget);
  }

  async counts(id: string): Promise<Record<TargetState, number>> {
    const out = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<TargetState, number>;
    for (const t of await this.#all(id)) out[t.state]++;
    return out;
  }

  async hasOpen(id: string): Promise<boolean> {
    return (await this.#all(id)).some((t) => OPEN.has(t.state));
  }

  /** Every node's changes to the command, as KV watches (updates only) on its targets and its record. */
  async watch(id: string, onChange: (c: ControlChange) => void): Promise<() => void> {
    const eid = escapeToken(id);
    const targets = await this.targetsKv.watch({ key: `${eid}.>`, include: KvWatchInclude.UpdatesOnly });
    const record = await this.commandsKv.watch({ key: `c.${eid}`, include: KvWatchInclude.UpdatesOnly });
    void (async () => {
      for await (const e of targets) {
        if (!isPut(e)) continue;
        const t = e.json() as StoredTarget;
        onChange({ kind: 'target', commandId: id, gateway: t.gateway, device: t.device, state: t.state, ...(t.reason === undefined ? {} : { reason: t.reason }) });
      }
    })().catch(() => undefined);
    void (async () => {
      for await (const e of record) {
        if (!isPut(e)) continue;
        const rec = e.json() as CommandRecord;
        if (rec.status !== 'RUNNING') onChange({ kind: 'command', commandId: id, status: rec.status });
      }
    })().catch(() => undefined);
    return () => {
      targets.stop();
      record.stop();
    };
  }
}
