import { type KV, type KvEntry, KvWatchInclude, type QueuedIterator, StorageType } from 'nats';
import { CausewayError } from '@causeway/shared';
import { next, STATES, type TargetEvent, type TargetState } from '../../control/command-state.js';
import type {
  CommandRecord,
  CommandStatus,
  CommandStore,
  ConfigDoc,
  ConfigHistoryEntry,
  ConfigReport,
  ConfigStatusRecord,
  ConfigStore,
  ControlChange,
  ControlStore,
  TargetDetail,
  TargetKey,
  TargetRow,
} from '../../control/control-store.js';
import type { JetStreamStore } from './jetstream-store.js';
import { apiErrorCode } from './nats-errors.js';
import { RunningMarkers } from './running-markers.js';
import { escapeToken, unescapeToken } from './subject-escape.js';

const WRONG_LAST_SEQUENCE = 10071;
const MAX_CAS_ATTEMPTS = 50;
/** KV writes in flight at once when a command's targets are created */
const WRITE_CONCURRENCY = 64;
const OPEN: ReadonlySet<TargetState> = new Set(['QUEUED', 'SENT', 'DELIVERED']);

interface StoredTarget extends TargetRow {
  sentAt?: number;
}

const isPut = (e: KvEntry): boolean => e.operation === 'PUT';

/**
 * Every current entry under `key` (a NATS subject filter over the bucket's keys), read with one ordered
 * consumer (one round trip per batch, not one per key). Rejects after `timeoutMs`.
 */
async function scan(kv: KV, key: string, timeoutMs: number): Promise<KvEntry[]> {
  const out: KvEntry[] = [];
  let timer: NodeJS.Timeout | undefined;
  // Deletes are filtered here, not with `ignoreDeletes`: the client counts only delivered entries towards
  // "initialized", so ignoring deletes there can keep it from ever firing.
  // "Initialized" may fire inside watch() itself (nothing pending), before `it` is assigned.
  let it: QueuedIterator<KvEntry> | undefined;
  let initialized = false;
  it = await kv.watch({
    key,
    include: KvWatchInclude.LastValue,
    initializedFn: () => {
      initialized = true;
      it?.stop();
    },
  });
  if (initialized) it.stop();
  const iter = it;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      iter.stop();
      reject(new CausewayError('CONTROL_STORE_TIMEOUT', `reading ${key} from KV took over ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    await Promise.race([
      (async () => {
        for await (const e of iter) if (isPut(e)) out.push(e);
      })(),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
  return out;
}

/**
 * Reads the value at `key`, lets `change` compute the new one and writes it only if nobody wrote in
 * between (compare-and-set on the KV revision), retrying otherwise. `change` returns undefined to write
 * nothing; the result is what was written, or undefined.
 */
async function cas<T, R>(kv: KV, key: string, change: (cur: T | undefined) => { value: T; result: R } | undefined): Promise<R | undefined> {
  for (let i = 0; i < MAX_CAS_ATTEMPTS; i++) {
    const e = await kv.get(key);
    const cur = e !== null && isPut(e) ? (e.json() as T) : undefined;
    const upd = change(cur);
    if (upd === undefined) return undefined;
    try {
      if (e === null) await kv.create(key, JSON.stringify(upd.value));
      else await kv.update(key, JSON.stringify(upd.value), e.revision);
      return upd.result;
    } catch (err) {
      if (apiErrorCode(err) !== WRONG_LAST_SEQUENCE) throw err;
    }
  }
  throw new CausewayError('CONTROL_STORE_CONFLICT', `${key} changed ${MAX_CAS_ATTEMPTS} times while being updated`);
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
    const all = (await scan(this.commandsKv, 'c.>', this.timeoutMs)).map((e) => e.json() as CommandRecord);
    return all.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1)).slice(0, limit);
  }

  async running(): Promise<CommandRecord[]> {
    const ids = await this.markers.ids();
    const recs = await Promise.all(ids.map((id) => this.get(id)));
    // A marker without its record is a create that died half-way: never RUNNING.
    return recs.filter((r): r is CommandRecord => r !== undefined && r.status === 'RUNNING');
  }

  async setStatus(id: string, status: Exclude<CommandStatus, 'RUNNING'>): Promise<boolean> {
    const won = await cas<CommandRecord, true>(this.commandsKv, `c.${escapeToken(id)}`, (cur) =>
      cur === undefined || cur.status !== 'RUNNING' ? undefined : { value: { ...cur, status }, result: true },
    );
    if (won === true) {
      await this.commandsKv.delete(`r.${escapeToken(id)}`);
      this.markers.delete(id);
    }
    return won === true;
  }

  async transition(id: string, t: TargetKey, event: TargetEvent, detail: TargetDetail, at: number): Promise<TargetState | undefined> {
    return cas<StoredTarget, TargetState>(this.targetsKv, this.#targetKey(id, t), (cur) => {
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
    return (await scan(this.targetsKv, `${escapeToken(id)}.>`, this.timeoutMs)).map((e) => e.json() as StoredTarget);
  }

  async targets(id: string, state?: TargetState): Promise<TargetRow[]> {
    return (await this.#all(id))
      .filter((t) => state === undefined || t.state === state)
      .sort(byGatewayDevice);
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

interface DesiredValue {
  version: number;
}

/**
 * Config in the KV bucket `<prefix>_config`: `version` = the cluster-wide counter, `doc.<scope>` = a
 * scope's document, `history.<version>` = every accepted change, `desired.<gateway>` and `reported.<gateway>` = what was pushed and what the gateway
 * said (two keys, so a push and a report never contend).
 */
export class JetStreamConfigStore implements ConfigStore {
  constructor(
    private readonly kv: KV,
    private readonly timeoutMs: number,
  ) {}

  async nextVersion(): Promise<number> {
    const v = await cas<DesiredValue, number>(this.kv, 'version', (cur) => {
      const version = (cur?.version ?? 0) + 1;
      return { value: { version }, result: version };
    });
    return v!;
  }

  async putDoc(scope: string, entry: ConfigDoc, at: number): Promise<void> {
    // History first: a version is handed out once, so its key is written once (`history.<version>`).
    const h: ConfigHistoryEntry = { version: entry.version, scope, doc: entry.doc, at };
    await this.kv.put(`history.${entry.version}`, JSON.stringify(h));
    await cas<ConfigDoc & { updatedAt: number }, true>(this.kv, `doc.${escapeToken(scope)}`, (cur) =>
      cur !== undefined && cur.version >= entry.version ? undefined : { value: { ...entry, updatedAt: at }, result: true },
    );
  }

  async history(limit: number): Promise<ConfigHistoryEntry[]> {
    const all = (await scan(this.kv, 'history.>', this.timeoutMs)).map((e) => e.json() as ConfigHistoryEntry);
    return all.sort((a, b) => b.version - a.version).slice(0, limit);
  }

  async getDoc(scope: string): Promise<ConfigDoc | undefined> {
    const e = await this.kv.get(`doc.${escapeToken(scope)}`);
    if (e === null || !isPut(e)) return undefined;
    const { version, doc } = e.json() as ConfigDoc;
    return { version, doc };
  }

  async setDesired(gateway: string, version: number): Promise<void> {
    await cas<DesiredValue, true>(this.kv, `desired.${escapeToken(gateway)}`, (cur) =>
      cur !== undefined && cur.version >= version ? undefined : { value: { version }, result: true },
    );
  }

  async setReported(gateway: string, report: ConfigReport): Promise<void> {
    await this.kv.put(`reported.${escapeToken(gateway)}`, JSON.stringify(report));
  }

  async status(): Promise<ConfigStatusRecord[]> {
    const rows = new Map<string, ConfigStatusRecord>();
    const row = (key: string, prefix: string): ConfigStatusRecord => {
      const gateway = unescapeToken(key.slice(prefix.length));
      let r = rows.get(gateway);
      if (r === undefined) rows.set(gateway, (r = { gateway }));
      return r;
    };
    for (const e of await scan(this.kv, 'desired.>', this.timeoutMs)) row(e.key, 'desired.').desiredVersion = (e.json() as DesiredValue).version;
    for (const e of await scan(this.kv, 'reported.>', this.timeoutMs)) {
      const rep = e.json() as ConfigReport;
      Object.assign(row(e.key, 'reported.'), { reportedVersion: rep.version, status: rep.status, reportedAt: rep.at, ...(rep.error === undefined ? {} : { error: rep.error }) });
    }
    return [...rows.values()].sort((a, b) => (a.gateway < b.gateway ? -1 : a.gateway > b.gateway ? 1 : 0));
  }
}

/** Opens (creating if needed) the control-plane buckets of a JetStream store, with the store's replicas. */
export async function openJetStreamControlStore(store: JetStreamStore): Promise<ControlStore> {
  const o = store.options;
  const bucket = (name: string): Promise<KV> => store.js.views.kv(name, { history: 1, replicas: o.replicas, storage: StorageType.File });
  const [commandsKv, targetsKv, configKv] = await Promise.all([bucket(o.names.commandsBucket), bucket(o.names.targetsBucket), bucket(o.names.configBucket)]);
  const commands = new JetStreamCommandStore(commandsKv, targetsKv, o.timeoutMs);
  return {
    commands,
    config: new JetStreamConfigStore(configKv, o.timeoutMs),
    // The buckets belong to the store's connection, which the store closes; the markers' watch is ours.
    async close() {
      commands.stop();
    },
  };
}
