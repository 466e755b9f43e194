import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { CausewayError } from '../../../shared/src/errors/causeway-error.js';
import { encodeEnvelope } from '../../../shared/src/codec/envelope-codec.js';
import type { CommandEnvelope, CommandResultEnvelope } from '../../../shared/src/envelopes/types.js';
import { formatTopic } from '../../../shared/src/topics/topic-scheme.js';
import { validateId } from '../../../shared/src/topics/topic-id.js';
import type { Logger } from '../../../shared/src/log/logger.js';
import type { DeviceRegistry } from '../identity/registry/contract.js';
import { next, STATES, type TargetEvent, type TargetState } from './command-state.js';

export type CommandTarget = { device: string } | { group: string } | { all: true };

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
}

export interface CommandRecord {
  id: string;
  name: string;
  args: Record<string, unknown>;
  target: CommandTarget;
  createdAt: number;
  expiresAt: number;
  rolloutPerMinute?: number;
  abortThresholdPercent?: number;
  status: 'RUNNING' | 'COMPLETED' | 'ABORTED' | 'CANCELED';
}

export interface TargetRow {
  gateway: string;
  device: string;
  state: TargetState;
  reason?: string;
  output?: unknown;
  updatedAt: number;
}

export interface CommandDeps {
  db: Database.Database;
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
 */
export class CommandService extends EventEmitter {
  readonly #d: CommandDeps;
  readonly #now: () => number;

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
    const max = this.#d.maxArgsBytes ?? 16 * 1024;
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
    const { db } = this.#d;
    db.transaction(() => {
      db.prepare('INSERT INTO commands (id, doc, status, created_at) VALUES (?, ?, ?, ?)').run(rec.id, JSON.stringify(rec), rec.status, now);
      const ins = db.prepare('INSERT INTO command_targets (command_id, gateway, device, state, updated_at) VALUES (?, ?, ?, ?, ?)');
      for (const t of targets) ins.run(rec.id, t.gateway, t.device, 'QUEUED', now);
    })();
    this.#d.logger.info('command created', { commandId: rec.id, name: rec.name, target: rec.target, targets: targets.length });
    if (rec.rolloutPerMinute === undefined) await this.#sendAll(rec);
    else await this.tick();
    return rec;
  }

  #envelope(rec: CommandRecord, device?: string): Buffer {
    const env: CommandEnvelope = { v: 1, type: 'command', id: rec.id, name: rec.name, args: rec.args, issuedAt: rec.createdAt, expiresAt: rec.expiresAt, ...(device === undefined ? {} : { device }) };
    return encodeEnvelope(env);
  }

  async #sendAll(rec: CommandRecord): Promise<void> {
    const t = rec.target;
    if ('device' in t) {
      const [row] = this.targets(rec.id);
      await this.#sendOne(rec, row!);
      return;
    }
    const topic = 'group' in t ? formatTopic({ kind: 'cmd-group', group: t.group, commandId: rec.id }) : formatTopic({ kind: 'cmd-all', commandId: rec.id });
    await this.#d.publish(topic, this.#envelope(rec));
    this.#applyAll(rec.id, { type: 'sent' }, 'QUEUED');
  }

  async #sendOne(rec: CommandRecord, row: TargetRow): Promise<void> {
    const topic = formatTopic({ kind: 'cmd', gateway: row.gateway, device: row.device, commandId: rec.id });
    await this.#d.publish(topic, this.#envelope(rec, row.device));
    this.#apply(rec.id, row.gateway, row.device, { type: 'sent' });
  }

  #apply(commandId: string, gateway: string, device: string, event: TargetEvent, reason?: string, output?: unknown): boolean {
    const { db } = this.#d;
    const row = db.prepare('SELECT state FROM command_targets WHERE command_id = ? AND gateway = ? AND device = ?').get(commandId, gateway, device) as { state: TargetState } | undefined;
    if (row === undefined) return false;
    const to = next(row.state, event);
    if (to === undefined) return false;
    const now = this.#now();
    db.prepare('UPDATE command_targets SET state = ?, reason = COALESCE(?, reason), output = COALESCE(?, output), updated_at = ?, sent_at = CASE WHEN ? = \'SENT\' THEN ? ELSE sent_at END WHERE command_id = ? AND gateway = ? AND device = ?')
      .run(to, reason ?? null, output === undefined ? null : JSON.stringify(output), now, to, now, commandId, gateway, device);
    this.emit('target', { commandId, gateway, device, state: to, ...(reason === undefined ? {} : { reason }) });
    return true;
  }

  #applyAll(commandId: string, event: TargetEvent, only?: TargetState, reason?: string): number {
    let n = 0;
    for (const r of this.targets(commandId)) if ((only === undefined || r.state === only) && this.#apply(commandId, r.gateway, r.device, event, reason)) n++;
    return n;
  }

  /** A command-result arrived on cmd-result/{gateway}/{device}/{commandId} (topic ids are authoritative). */
  handleResult(topicIds: { gateway: string; device: string; commandId: string }, env: CommandResultEnvelope): boolean {
    const event: TargetEvent = env.status === 'DELIVERED' ? { type: 'delivered' } : { type: 'result', status: env.status };
    const ok = this.#apply(topicIds.commandId, topicIds.gateway, topicIds.device, event, env.error, env.output);
    if (ok) this.#maybeFinish(topicIds.commandId);
    return ok;
  }

  /** Pacing, abort threshold and expiry; the service calls it every second, tests call it with a fake clock. */
  async tick(): Promise<void> {
    const now = this.#now();
    const running = (this.#d.db.prepare("SELECT doc FROM commands WHERE status = 'RUNNING'").all() as Array<{ doc: string }>).map((r) => JSON.parse(r.doc) as CommandRecord);
    for (const rec of running) {
      if (now >= rec.expiresAt) {
        this.#applyAll(rec.id, { type: 'expire' }, undefined, 'TTL passed');
        this.#maybeFinish(rec.id);
        continue;
      }
      if (rec.abortThresholdPercent !== undefined && this.#failedTooMuch(rec)) {
        this.#applyAll(rec.id, { type: 'cancel' }, 'QUEUED', `aborted: more than ${rec.abortThresholdPercent}% failed`);
        this.#setStatus(rec, 'ABORTED');
        continue;
      }
      if (rec.rolloutPerMinute !== undefined) {
        const rows = this.targets(rec.id);
        const sent = rows.filter((r) => r.state !== 'QUEUED' && r.state !== 'CANCELED').length;
        const allowed = Math.floor(((now - rec.createdAt) / 60_000) * rec.rolloutPerMinute) + 1;
        for (const r of rows.filter((x) => x.state === 'QUEUED').slice(0, Math.max(0, allowed - sent))) await this.#sendOne(rec, r);
      }
      this.#maybeFinish(rec.id);
    }
  }

  #failedTooMuch(rec: CommandRecord): boolean {
    const c = this.counts(rec.id);
    const failed = c.FAILED + c.REJECTED + c.TIMED_OUT;
    const finished = failed + c.SUCCEEDED;
    return finished > 0 && (failed * 100) / finished > rec.abortThresholdPercent!;
  }

  #maybeFinish(commandId: string): void {
    const rec = this.get(commandId);
    if (rec === undefined || rec.status !== 'RUNNING') return;
    const open = this.#d.db
      .prepare("SELECT 1 FROM command_targets WHERE command_id = ? AND state IN ('QUEUED', 'SENT', 'DELIVERED') LIMIT 1")
      .get(commandId);
    if (open === undefined) this.#setStatus(rec, 'COMPLETED');
  }

  #setStatus(rec: CommandRecord, status: CommandRecord['status']): void {
    const updated = { ...rec, status };
    this.#d.db.prepare('UPDATE commands SET doc = ?, status = ? WHERE id = ?').run(JSON.stringify(updated), status, rec.id);
    this.emit('command', { commandId: rec.id, status });
  }

  /** Operator cancel: every target not yet finished becomes CANCELED. */
  cancel(commandId: string): number {
    const rec = this.get(commandId);
    if (rec === undefined) throw new CausewayError('COMMAND_NOT_FOUND', `no command ${commandId}`);
    const n = this.#applyAll(commandId, { type: 'cancel' }, undefined, 'canceled by operator');
    if (rec.status === 'RUNNING') this.#setStatus(rec, 'CANCELED');
    return n;
  }

  get(commandId: string): CommandRecord | undefined {
    const r = this.#d.db.prepare('SELECT doc FROM commands WHERE id = ?').get(commandId) as { doc: string } | undefined;
    return r === undefined ? undefined : (JSON.parse(r.doc) as CommandRecord);
  }

  list(limit = 50): CommandRecord[] {
    return (this.#d.db.prepare('SELECT doc FROM commands ORDER BY created_at DESC LIMIT ?').all(limit) as Array<{ doc: string }>).map((r) => JSON.parse(r.doc) as CommandRecord);
  }

  targets(commandId: string, state?: TargetState): TargetRow[] {
    const rows = (state === undefined
      ? this.#d.db.prepare('SELECT gateway, device, state, reason, output, updated_at FROM command_targets WHERE command_id = ? ORDER BY gateway, device').all(commandId)
      : this.#d.db.prepare('SELECT gateway, device, state, reason, output, updated_at FROM command_targets WHERE command_id = ? AND state = ? ORDER BY gateway, device').all(commandId, state)) as Array<{
      gateway: string;
      device: string;
      state: TargetState;
      reason: string | null;
      output: string | null;
      updated_at: number;
    }>;
    return rows.map((r) => ({
      gateway: r.gateway,
      device: r.device,
      state: r.state,
      updatedAt: r.updated_at,
      ...(r.reason === null ? {} : { reason: r.reason }),
      ...(r.output === null ? {} : { output: JSON.parse(r.output) as unknown }),
    }));
  }

  counts(commandId: string): Record<TargetState, number> {
    const out = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<TargetState, number>;
    for (const r of this.#d.db.prepare('SELECT state, COUNT(*) AS n FROM command_targets WHERE command_id = ? GROUP BY state').all(commandId) as Array<{ state: TargetState; n: number }>) out[r.state] = r.n;
    return out;
  }
}
