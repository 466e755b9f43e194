import type Database from 'better-sqlite3';
import { CausewayError } from '../../../shared/src/errors/causeway-error.js';
import { encodeEnvelope } from '../../../shared/src/codec/envelope-codec.js';
import type { ConfigEnvelope, ConfigReportedEnvelope } from '../../../shared/src/envelopes/types.js';
import { formatTopic } from '../../../shared/src/topics/topic-scheme.js';
import { validateId } from '../../../shared/src/topics/topic-id.js';
import type { Logger } from '../../../shared/src/log/logger.js';
import type { DeviceRegistry } from '../identity/registry/contract.js';
import { mergeConfig } from '../../../shared/src/config/merge-config.js';

export type ConfigScope = { gateway: string } | { group: string } | { all: true };

export interface ConfigStatusRow {
  gateway: string;
  desiredVersion?: number;
  reportedVersion?: number;
  status?: string;
  error?: { key?: string; message: string };
  reportedAt?: number;
  inSync: boolean;
}

export interface ConfigDeps {
  db: Database.Database;
  registry: DeviceRegistry;
  /** publish a retained message into the broker; resolves after the durable append */
  publishRetained: (topic: string, payload: Buffer) => Promise<void>;
  logger: Logger;
  now?: () => number;
  maxConfigBytes?: number;
}

function scopeKey(s: ConfigScope): string {
  if ('gateway' in s) return `gateway:${s.gateway}`;
  if ('group' in s) return `group:${s.group}`;
  return 'all';
}

/**
 * Desired config per gateway, per group and for all, versioned with one monotonic counter so a
 * gateway's effective version only grows. Each change re-publishes the merged document, retained, on
 * `config/{gateway}` for every gateway it affects; reports on `config-reported/{gateway}` are recorded
 * so operators see drift.
 */
export class ConfigService {
  readonly #d: ConfigDeps;
  readonly #now: () => number;

  constructor(deps: ConfigDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
  }

  #nextVersion(): number {
    const db = this.#d.db;
    db.prepare("INSERT INTO counters (name, value) VALUES ('config_version', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1").run();
    return (db.prepare("SELECT value FROM counters WHERE name = 'config_version'").get() as { value: number }).value;
  }

  #doc(scope: string): { version: number; doc: Record<string, unknown> } | undefined {
    const r = this.#d.db.prepare('SELECT version, doc FROM config_docs WHERE scope = ?').get(scope) as { version: number; doc: string } | undefined;
    return r === undefined ? undefined : { version: r.version, doc: JSON.parse(r.doc) as Record<string, unknown> };
  }

  /** The merged document and version a gateway should run. */
  async effective(gateway: string): Promise<{ version: number; config: Record<string, unknown> } | undefined> {
    const e = await this.#d.registry.get(gateway);
    const scopes = ['all', ...(e?.groups ?? []).map((g) => `group:${g}`), `gateway:${gateway}`];
    const docs = scopes.map((s) => this.#doc(s)).filter((d) => d !== undefined);
    if (docs.length === 0) return undefined;
    return { version: Math.max(...docs.map((d) => d.version)), config: mergeConfig(docs.map((d) => d.doc)) };
  }

  /** Sets a desired document and pushes the result to every affected gateway. Returns the new version. */
  async setDesired(scope: ConfigScope, config: Record<string, unknown>): Promise<{ version: number; gateways: string[] }> {
    if ('gateway' in scope) validateId(scope.gateway, 'gateway id');
    if ('group' in scope) validateId(scope.group, 'group name');
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new CausewayError('CONFIG_INVALID', 'config must be a JSON object');
    const bytes = Buffer.byteLength(JSON.stringify(config));
    const max = this.#d.maxConfigBytes ?? 64 * 1024;
    if (bytes > max) throw new CausewayError('CONFIG_INVALID', `config is ${bytes} bytes, the limit is ${max}`);
    const db = this.#d.db;
    const version = db.transaction(() => {
      const v = this.#nextVersion();
      db.prepare('INSERT INTO config_docs (scope, version, doc, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(scope) DO UPDATE SET version = excluded.version, doc = excluded.doc, updated_at = excluded.updated_at')
        .run(scopeKey(scope), v, JSON.stringify(config), this.#now());
      return v;
    })();
    const gateways =
      'gateway' in scope
        ? [scope.gateway]
        : (await this.#d.registry.list({ kind: 'gateway', ...('group' in scope ? { group: scope.group } : {}) })).map((e) => e.id);
    for (const gw of gateways) await this.push(gw);
    this.#d.logger.info('desired config set', { scope: scopeKey(scope), version, gateways: gateways.length });
    return { version, gateways };
  }

  /** Publishes a gateway's effective config (retained) and records it as desired. */
  async push(gateway: string): Promise<number | undefined> {
    const eff = await this.effective(gateway);
    if (eff === undefined) return undefined;
    const env: ConfigEnvelope = { v: 1, type: 'config', version: eff.version, issuedAt: this.#now(), config: eff.config };
    await this.#d.publishRetained(formatTopic({ kind: 'config', gateway }), encodeEnvelope(env));
    this.#d.db
      .prepare('INSERT INTO config_status (gateway, desired_version) VALUES (?, ?) ON CONFLICT(gateway) DO UPDATE SET desired_version = excluded.desired_version')
      .run(gateway, eff.version);
    return eff.version;
  }

  /** A report arrived on config-reported/{gateway} (the topic's gateway is authoritative). */
  handleReported(gateway: string, env: ConfigReportedEnvelope): void {
    this.#d.db
      .prepare(
        `INSERT INTO config_status (gateway, reported_version, status, error, reported_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(gateway) DO UPDATE SET reported_version = excluded.reported_version, status = excluded.status, error = excluded.error, reported_at = excluded.reported_at`,
      )
      .run(gateway, env.version, env.status, env.error === undefined ? null : JSON.stringify(env.error), env.ts);
  }

  /** Per gateway: desired vs reported version, last status and error. */
  status(): ConfigStatusRow[] {
    const rows = this.#d.db.prepare('SELECT gateway, desired_version, reported_version, status, error, reported_at FROM config_status ORDER BY gateway').all() as Array<{
      gateway: string;
      desired_version: number | null;
      reported_version: number | null;
      status: string | null;
      error: string | null;
      reported_at: number | null;
    }>;
    return rows.map((r) => ({
      gateway: r.gateway,
      ...(r.desired_version === null ? {} : { desiredVersion: r.desired_version }),
      ...(r.reported_version === null ? {} : { reportedVersion: r.reported_version }),
      ...(r.status === null ? {} : { status: r.status }),
      ...(r.error === null ? {} : { error: JSON.parse(r.error) as { key?: string; message: string } }),
      ...(r.reported_at === null ? {} : { reportedAt: r.reported_at }),
      inSync: r.desired_version !== null && r.desired_version === r.reported_version && r.status === 'APPLIED',
    }));
  }
}
