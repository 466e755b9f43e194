import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { CausewayError, encodeEnvelope, type CommandEnvelope, type CommandResultEnvelope, formatTopic, validateId, type Logger } from '@causeway/shared';
import type { DeviceRegistry } from '../identity/registry/contract.js';
import { isProgress, type TargetEvent, type TargetState } from './command-state.js';
import type { CommandRecord, CommandStatus, CommandStore, CommandTarget, ControlChange, TargetKey, TargetRow } from './control-store.js';

export type { CommandRecord, CommandTarget, TargetRow } from './control-store.js';

/** targets changed at once by a group event (sent, expire, cancel) */
const APPLY_CONCURRENCY = 32;
/** ms between the tick's safety-net finish checks of one running command (results trigger their own) */
const SWEEP_MS = 30_000;

export interface CommandRequest {
  name: string;
  args: Record<string, unknown>;
  target: CommandTarget;
  /** seconds the command may wait for delivery and execution; default 3600 */
  ttlSeconds?: number;
  /** devices per minute; absent = all at once (a group/broadcast is then ONE stored message) */
  rolloutPerMinute?: number;
  /** stop sending when more than this % of finished targets failed */
  abortThresholdPercent?: number;
  /** largest encoded args (internal callers: an install carries a manifest with its chunk hashes) */
  maxArgsBytes?: number;
}

export interface CommandDeps {
  store: CommandStore;
  registry: DeviceRegistry;
  /** publish into the broker; resolves after the durable append */
  publish: (topic: string, payload: Buffer) => Promise<void>;
  logger: Logger;
  now?: () => number;
  /** largest encoded args accepted */
  maxArgsBytes?: number;
}

/**
 * Commands from operators to devices, with per-device states. A command to a group or to all devices
 * without a rollout rate is ONE message on `cmd-group/{group}/{id}` or `cmd-all/{id}` (stored once);
 * with a rollout rate, targets are sent unicast at that pace so the abort threshold can stop the rest.
 *
 * The state is in a CommandStore, which several nodes may share (JetStream KV): every change is an atomic
 * transition in the store, so nodes racing on the same result, expiry or rollout agree. A rollout step that
 * two nodes both take sends a target twice; the gateway's inbox runs a command at most once per device and
 * answers the repeat from its stored result.
 */
export class CommandService extends EventEmitter {
  readonly #d: CommandDeps;
  readonly #now: () => number;
  /** per running command: when the tick last ran its safety-net finish check */
  readonly #swept = new Map<string, number>();
  /** per command: the finish check running now, and whether another was asked for meanwhile */
  readonly #finishing = new Map<string, { run: Promise<void>; again: boolean }>();

  constructor(deps: CommandDeps) {
    super();
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
  }

  async #resolve(target: CommandTarget): Promise<Array<{ gateway: string; device: string }>> {
    const { registry } = this.#d;
    if ('device' in target) {
      validateId(target.device, 'device id');
      const e = await registry.get(target.device);
      if (e === undefined || e.kind === 'app') throw new CausewayError('COMMAND_UNKNOWN_DEVICE', `no gateway or device with id ${target.device}`);
      if (e.kind === 'device') {
        if (e.gateway === undefined) throw new CausewayError('COMMAND_UNKNOWN_DEVICE', `device ${e.id} has no gateway to reach it through`);
        return [{ gateway: e.gateway, device: e.id }];
      }
      return [{ gateway: e.id, device: e.id }];
    }
    const list = 'group' in target ? await registry.list({ kind: 'gateway', group: target.group }) : await registry.list({ kind: 'gateway' });
    if ('group' in target) validateId(target.group, 'group name');
    return list.filter((e) => e.enabled).map((e) => ({ gateway: e.id, device: e.id }));
  }

  /** Creates a command, records its targets as QUEUED and sends what the rollout allows now. */
  async create(req: CommandRequest): Promise<CommandRecord> {
    validateId(req.name, 'command name');
    if (typeof req.args !== 'object' || req.args === null || Array.isArray(req.args)) throw new CausewayError('COMMAND_INVALID', 'args must be a JSON object');
    const argsBytes = Buffer.byteLength(JSON.stringify(req.args));
    const max = req.maxArgsBytes ?? this.#d.maxArgsBytes ?? 16 * 1024;
    if (argsBytes > max) throw new CausewayError('COMMAND_TOO_LARGE', `args are ${argsBytes} bytes, the limit is ${max}`);
    const ttl = req.ttlSeconds ?? 3600;
    if (!Number.isSafeInteger(ttl) || ttl < 1 || ttl > 30 * 86400) throw new CausewayError('COMMAND_INVALID', 'ttlSeconds must be an integer from 1 to 2592000');
    if (req.rolloutPerMinute !== undefined && !(req.rolloutPerMinute > 0)) throw new CausewayError('COMMAND_INVALID', 'rolloutPerMinute must be positive');
    if (req.abortThresholdPercent !== undefined && !(req.abortThresholdPercent >= 0 && req.abortThresholdPercent <= 100)) {
      throw new CausewayError('COMMAND_INVALID', 'abortThresholdPercent must be from 0 to 100');
    }
    const targets = await this.#resolve(req.target);
    if (targets.length === 0) throw new CausewayError('COMMAND_NO_TARGETS', `no enabled gateway matches ${JSON.stringify(req.target)}`);
    const now = this.#now();
    const rec: CommandRecord = {
      id: randomUUID(),
      name: req.name,
      args: req.args,
      target: req.target,
      createdAt: now,
      expiresAt: now + ttl * 1000,
      status: 'RUNNING',
      ...(req.rolloutPerMinute === undefined ? {} : { rolloutPerMinute: req.rolloutPerMinute }),
      ...(req.abortThresholdPercent === undefined ? {} : { abortThresholdPercent: req.abortThresholdPercent }),
    };
    await this.#d.store.create(rec, targets, now);
    this.#d.logger.info('command created', { commandId: rec.id, name: rec.name, target: rec.target, targets: targets.length });
    if (rec.rolloutPerMinute === undefined) await this.#sendAll(rec, targets);
    else await this.#rollout(rec);
    return rec;
  }

  #envelope(rec: CommandRecord, device?: string): Buffer {
    const env: CommandEnvelope = { v: 1, type: 'command', id: rec.id, name: rec.name, args: rec.args, issuedAt: rec.createdAt, expiresAt: rec.expiresAt, ...(device === undefined ? {} : { device }) };
    return encodeEnvelope(env);
  }

  async #sendAll(rec: CommandRecord, targets: readonly TargetKey[]): Promise<void> {
    const t = rec.target;
    if ('device' in t) {
      await this.#sendOne(rec, targets[0]!);
      return;
    }
    const topic = 'group' in t ? formatTopic({ kind: 'cmd-group', group: t.group, commandId: rec.id }) : formatTopic({ kind: 'cmd-all', commandId: rec.id });
    await this.#d.publish(topic, this.#envelope(rec));
    await this.#applyAll(rec.id, targets, { type: 'sent' });
  }

  async #sendOne(rec: CommandRecord, row: TargetKey): Promise<void> {
    const topic = formatTopic({ kind: 'cmd', gateway: row.gateway, device: row.device, commandId: rec.id });
    await this.#d.publish(topic, this.#envelope(rec, row.device));
    await this.#apply(rec.id, row, { type: 'sent' });
  }

  async #apply(commandId: string, t: TargetKey, event: TargetEvent, reason?: string, output?: unknown): Promise<boolean> {
    const detail = { ...(reason === undefined ? {} : { reason }), ...(output === undefined ? {} : { output }) };
    const to = await this.#d.store.transition(commandId, t, event, detail, this.#now());
    if (to === undefined) return false;
    const change: ControlChange = { kind: 'target', commandId, gateway: t.gateway, device: t.device, state: to, ...(reason === undefined ? {} : { reason }) };
    this.emit('target', change);
    return true;
  }

  /** Applies one event to many targets, a bounded number at a time (a KV store is one round trip each). */
  async #applyAll(commandId: string, targets: readonly TargetKey[], event: TargetEvent, reason?: string): Promise<number> {
    let n = 0;
    for (let i = 0; i < targets.length; i += APPLY_CONCURRENCY) {
      const done = await Promise.all(targets.slice(i, i + APPLY_CONCURRENCY).map((t) => this.#apply(commandId, t, event, reason)));
      n += done.filter(Boolean).length;
    }
    return n;
  }

  /**
   * A command-result arrived on cmd-result/{gateway}/{device}/{commandId} (topic ids are authoritative).
   * Whether the command is now complete is checked in the background, coalesced per command (`settled()`
   * waits for it): that check reads every target, so one per result would make a broadcast quadratic.
   */
  async handleResult(topicIds: { gateway: string; device: string; commandId: string }, env: CommandResultEnvelope): Promise<boolean> {
    const event: TargetEvent = env.status === 'DELIVERED' ? { type: 'delivered' } : isProgress(env.status) ? { type: 'progress', state: env.status } : { type: 'result', status: env.status };
    const ok = await this.#apply(topicIds.commandId, topicIds, event, env.error, env.output);
    if (ok) this.#scheduleFinish(topicIds.commandId);
    return ok;
  }

  #scheduleFinish(commandId: string): void {
    const cur = this.#finishing.get(commandId);
    if (cur !== undefined) {
      cur.again = true;
      return;
    }
    const entry = { run: Promise.resolve(), again: false };
    entry.run = (async () => {
      try {
        do {
          entry.again = false;
          await this.#maybeFinish(commandId);
        } while (entry.again);
      } catch (err) {
        this.#d.logger.error('command finish check failed; the tick retries it', { commandId, err });
      } finally {
        this.#finishing.delete(commandId);
      }
    })();
    this.#finishing.set(commandId, entry);
  }

  /** Resolves when no finish check is pending (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#finishing.size > 0) await Promise.all([...this.#finishing.values()].map((e) => e.run));
  }

  /** Pacing, abort threshold and expiry; every node calls it every second, tests call it with a fake clock. */
  async tick(): Promise<void> {
    const now = this.#now();
    const recs = await this.#d.store.running();
    const running = new Set(recs.map((r) => r.id));
    for (const rec of recs) {
      if (now >= rec.expiresAt) {
        await this.#applyAll(rec.id, await this.#d.store.targets(rec.id), { type: 'expire' }, 'TTL passed');
        await this.#maybeFinish(rec.id);
        continue;
      }
      if (rec.abortThresholdPercent !== undefined && (await this.#failedTooMuch(rec))) {
        await this.#applyAll(rec.id, await this.#d.store.targets(rec.id, 'QUEUED'), { type: 'cancel' }, `aborted: more than ${rec.abortThresholdPercent}% failed`);
        await this.#setStatus(rec.id, 'ABORTED');
        continue;
      }
      if (rec.rolloutPerMinute !== undefined) await this.#rollout(rec);
      // Results trigger their own finish check; the tick's is a safety net (a node that died between a
      // result and its check). On JetStream each check reads every target through a new consumer, so it
      // runs every SWEEP_MS per command, not every second [issue 23].
      const last = this.#swept.get(rec.id);
      if (last === undefined || now - last >= SWEEP_MS) {
        this.#swept.set(rec.id, now);
        await this.#maybeFinish(rec.id);
      }
    }
    for (const id of this.#swept.keys()) if (!running.has(id)) this.#swept.delete(id);
  }

  async #rollout(rec: CommandRecord): Promise<void> {
    const rows = await this.#d.store.targets(rec.id);
    const sent = rows.filter((r) => r.state !== 'QUEUED' && r.state !== 'CANCELED').length;
    const allowed = Math.floor(((this.#now() - rec.createdAt) / 60_000) * rec.rolloutPerMinute!) + 1;
    for (const r of rows.filter((x) => x.state === 'QUEUED').slice(0, Math.max(0, allowed - sent))) await this.#sendOne(rec, r);
  }

  async #failedTooMuch(rec: CommandRecord): Promise<boolean> {
    const c = await this.#d.store.counts(rec.id);
    const failed = c.FAILED + c.REJECTED + c.TIMED_OUT + c.ROLLED_BACK;
    const finished = failed + c.SUCCEEDED;
    return finished > 0 && (failed * 100) / finished > rec.abortThresholdPercent!;
  }

  async #maybeFinish(commandId: string): Promise<void> {
    const rec = await this.#d.store.get(commandId);
    if (rec === undefined || rec.status !== 'RUNNING') return;
    if (!(await this.#d.store.hasOpen(commandId))) await this.#setStatus(commandId, 'COMPLETED');
  }

  async #setStatus(commandId: string, status: Exclude<CommandStatus, 'RUNNING'>): Promise<void> {
    if (await this.#d.store.setStatus(commandId, status)) {
      const change: ControlChange = { kind: 'command', commandId, status };
      this.emit('command', change);
    }
  }

  /**
   * A gateway's session has just gained its downlink subscription (a first connect, a clean session, or a
   * SUBSCRIBE that never reached the broker before the link died): what was sent to it while it had none
   * reached nobody. Sends again, unicast, each of its targets that went out and was not yet DELIVERED (or
   * is being sent right now), within the TTL. The gateway's inbox runs a command at most once per device, so
   * a copy it did get is answered from its stored result, never run twice. A rollout's QUEUED targets wait
   * for their turn as before. Returns how many were sent again.
   */
  async resendTo(gateway: string): Promise<number> {
    const now = this.#now();
    let n = 0;
    for (const rec of await this.#d.store.running()) {
      if (now >= rec.expiresAt) continue;
      const rows =
        'device' in rec.target
          ? (await this.#d.store.targets(rec.id)).filter((r) => r.gateway === gateway)
          : [await this.#d.store.target(rec.id, { gateway, device: gateway })].filter((r) => r !== undefined);
      for (const r of rows) {
        if (r.state !== 'SENT' && !(r.state === 'QUEUED' && rec.rolloutPerMinute === undefined)) continue;
        await this.#d.publish(formatTopic({ kind: 'cmd', gateway, device: r.device, commandId: rec.id }), this.#envelope(rec, r.device));
        n++;
      }
    }
    if (n > 0) this.#d.logger.info('commands sent again to a gateway that subscribed anew', { gateway, commands: n });
    return n;
  }

  /** Operator cancel: every target not yet finished becomes CANCELED. */
  async cancel(commandId: string): Promise<number> {
    const rec = await this.get(commandId);
    if (rec === undefined) throw new CausewayError('COMMAND_NOT_FOUND', `no command ${commandId}`);
    const n = await this.#applyAll(commandId, await this.#d.store.targets(commandId), { type: 'cancel' }, 'canceled by operator');
    if (rec.status === 'RUNNING') await this.#setStatus(commandId, 'CANCELED');
    return n;
  }

  /**
   * Cancels the open targets of a command on these gateways (a newer rollout supersedes them, issue 17),
   * but not one INSTALLING: a release waiting for its health gate decides itself.
   */
  async cancelGateways(commandId: string, gateways: ReadonlySet<string>, reason: string): Promise<number> {
    const rows = (await this.#d.store.targets(commandId)).filter((r) => gateways.has(r.gateway) && r.state !== 'INSTALLING');
    const n = await this.#applyAll(commandId, rows, { type: 'cancel' }, reason);
    if (n > 0) this.#scheduleFinish(commandId);
    return n;
  }

  /** Every command still RUNNING. */
  running(): Promise<CommandRecord[]> {
    return this.#d.store.running();
  }

  /**
   * Every change to one command, whichever node made it (with a shared store), or this node's changes
   * (with a store of its own). Returns the function that stops watching.
   */
  async watch(commandId: string, onChange: (c: ControlChange) => void): Promise<() => void> {
    if (this.#d.store.watch !== undefined) return this.#d.store.watch(commandId, onChange);
    const onTarget = (c: ControlChange): void => {
      if (c.commandId === commandId) onChange(c);
    };
    this.on('target', onTarget);
    this.on('command', onTarget);
    return () => {
      this.off('target', onTarget);
      this.off('command', onTarget);
    };
  }

  get(commandId: string): Promise<CommandRecord | undefined> {
    return this.#d.store.get(commandId);
  }

  list(limit = 50): Promise<CommandRecord[]> {
    return this.#d.store.list(limit);
  }

  targets(commandId: string, state?: TargetState): Promise<TargetRow[]> {
    return this.#d.store.targets(commandId, state);
  }

  counts(commandId: string): Promise<Record<TargetState, number>> {
    return this.#d.store.counts(commandId);
  }
}
