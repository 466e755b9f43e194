import { CausewayError, encodeEnvelope, type ConfigEnvelope, type ConfigReportedEnvelope, formatTopic, validateId, type Logger, ConfigError, findUnsafeKey, mergeConfig, localOnlyKeyIn, validateRemoteEdgeConfig } from '@causeway/shared';
import type { DeviceRegistry, RegistryEntry } from '../identity/registry/contract.js';
import { CertificateOnlyConfigError } from './certificate-only-error.js';
import type { ConfigHistoryEntry, ConfigStore } from './control-store.js';

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
  store: ConfigStore;
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
 * so operators see drift. The state is in a ConfigStore, which several nodes may share.
 */
export class ConfigService {
  readonly #d: ConfigDeps;
  readonly #now: () => number;

  constructor(deps: ConfigDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** The merged document and version a gateway should run. */
  async effective(gateway: string): Promise<{ version: number; config: Record<string, unknown> } | undefined> {
    const e = await this.#d.registry.get(gateway);
    const scopes = ['all', ...(e?.groups ?? []).map((g) => `group:${g}`), `gateway:${gateway}`];
    const docs = (await Promise.all(scopes.map(async (s) => this.#safe(s, await this.#d.store.getDoc(s))))).filter((d) => d !== undefined);
    if (docs.length === 0) return undefined;
    return { version: Math.max(...docs.map((d) => d.version)), config: mergeConfig(docs.map((d) => d.doc)) };
  }

  /**
   * The merged document a gateway was sent at `version`: for each of its scopes the newest accepted
   * document not newer than it (from the history, with the gateway's groups as they are now). The console
   * diffs it against the current one to show what a gateway that reported an older version lacks (issue 18).
   */
  async effectiveAt(gateway: string, version: number): Promise<{ version: number; config: Record<string, unknown> } | undefined> {
    const e = await this.#d.registry.get(gateway);
    const scopes = ['all', ...(e?.groups ?? []).map((g) => `group:${g}`), `gateway:${gateway}`];
    const history = await this.#d.store.history(Number.MAX_SAFE_INTEGER); // newest first
    const docs = scopes
      .map((s) => {
        const h = history.find((x) => x.scope === s && x.version <= version);
        return h === undefined ? undefined : this.#safe(s, { version: h.version, doc: h.doc });
      })
      .filter((d) => d !== undefined);
    if (docs.length === 0) return undefined;
    return { version: Math.max(...docs.map((d) => d.version)), config: mergeConfig(docs.map((d) => d.doc)) };
  }

  /**
   * A stored document with a prototype key (one stored before they were refused) is left out, with an
   * error logged, rather than merged: merging it once crashed the process on every restart (issue 23 item 2).
   */
  #safe(scope: string, d: { version: number; doc: Record<string, unknown> } | undefined): typeof d {
    if (d === undefined) return undefined;
    const path = findUnsafeKey(d.doc);
    if (path === undefined) return d;
    this.#d.logger.error('stored desired config refused: forbidden key; set the scope again', { scope, version: d.version, path });
    return undefined;
  }

  /**
   * Every check a document passes before it is stored, without storing it: the console validates a draft
   * with it before saving (issue 18). Throws CONFIG_INVALID naming the key.
   */
  validate(config: Record<string, unknown>): void {
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new CausewayError('CONFIG_INVALID', 'config must be a JSON object');
    const unsafe = findUnsafeKey(config);
    if (unsafe !== undefined) throw new ConfigError(`${unsafe} is a forbidden key (__proto__, constructor and prototype are refused)`, { key: unsafe });
    // The gateway refuses these too, but only after the document is stored and pushed (issue 23 item 3).
    const local = localOnlyKeyIn(config);
    if (local !== undefined) throw new ConfigError(`${local} cannot be set remotely: it is local to each gateway (docs/operations.md "What a remote config may change")`, { key: local });
    const bytes = Buffer.byteLength(JSON.stringify(config));
    const max = this.#d.maxConfigBytes ?? 64 * 1024;
    if (bytes > max) throw new CausewayError('CONFIG_INVALID', `config is ${bytes} bytes, the limit is ${max}`);
    // Refused here, before a version is taken, with the key and the reason (issue 24): the agent's own
    // schema, so a document the cloud stores is one the gateways accept (the deep ingest checks aside).
    validateRemoteEdgeConfig(config);
  }

  /** Sets a desired document and pushes the result to every affected gateway. Returns the new version. */
  async setDesired(scope: ConfigScope, config: Record<string, unknown>): Promise<{ version: number; gateways: string[] }> {
    if ('gateway' in scope) validateId(scope.gateway, 'gateway id');
    if ('group' in scope) validateId(scope.group, 'group name');
    this.validate(config);
    const entries = 'gateway' in scope ? [await this.#d.registry.get(scope.gateway)] : await this.#d.registry.list({ kind: 'gateway', ...('group' in scope ? { group: scope.group } : {}) });
    await this.#refuseHttpFilesForCertificateOnly(scopeKey(scope), config, entries);
    const version = await this.#d.store.nextVersion();
    await this.#d.store.putDoc(scopeKey(scope), { version, doc: config }, this.#now());
    const gateways = 'gateway' in scope ? [scope.gateway] : entries.map((e) => e!.id);
    for (const gw of gateways) await this.push(gw);
    this.#d.logger.info('desired config set', { scope: scopeKey(scope), version, gateways: gateways.length });
    return { version, gateways };
  }

  /**
   * Issue 20: a gateway registered with a CSR has no secret, and its agent refuses `files.transport http`
   * (HTTP downloads authenticate with the secret). Checked on the document each such gateway of the target
   * would run (this one merged with the stored ones of its other scopes), so a gateway-level
   * `files.transport mqtt` keeps it out of a group's or everyone's http. All or nothing: one document per
   * scope is stored and every member merges it, so the cloud cannot skip some of them; the whole push is
   * refused, naming every such gateway (CertificateOnlyConfigError, 409).
   */
  async #refuseHttpFilesForCertificateOnly(key: string, config: Record<string, unknown>, entries: ReadonlyArray<RegistryEntry | undefined>): Promise<void> {
    const stored = new Map<string, Record<string, unknown> | undefined>();
    const docOf = async (s: string): Promise<Record<string, unknown> | undefined> => {
      if (s === key) return config;
      if (!stored.has(s)) stored.set(s, this.#safe(s, await this.#d.store.getDoc(s))?.doc);
      return stored.get(s);
    };
    const refused: string[] = [];
    for (const e of entries) {
      if (e === undefined || e.kind !== 'gateway' || e.secretHash !== undefined) continue;
      const docs = await Promise.all(['all', ...e.groups.map((g) => `group:${g}`), `gateway:${e.id}`].map(docOf));
      const files = mergeConfig(docs.filter((d) => d !== undefined)).files;
      if (typeof files === 'object' && files !== null && (files as Record<string, unknown>).transport === 'http') refused.push(e.id);
    }
    if (refused.length === 0) return;
    this.#d.logger.warn('desired config refused: files.transport http for gateways with only a certificate', { scope: key, gateways: refused.length, first: refused[0] });
    throw new CertificateOnlyConfigError(key, refused);
  }

  /** Publishes a gateway's effective config (retained) and records it as desired. */
  async push(gateway: string): Promise<number | undefined> {
    const eff = await this.effective(gateway);
    if (eff === undefined) return undefined;
    const env: ConfigEnvelope = { v: 1, type: 'config', version: eff.version, issuedAt: this.#now(), config: eff.config };
    await this.#d.publishRetained(formatTopic({ kind: 'config', gateway }), encodeEnvelope(env));
    await this.#d.store.setDesired(gateway, eff.version);
    return eff.version;
  }

  /** A report arrived on config-reported/{gateway} (the topic's gateway is authoritative). */
  async handleReported(gateway: string, env: ConfigReportedEnvelope): Promise<void> {
    await this.#d.store.setReported(gateway, { version: env.version, status: env.status, at: env.ts, ...(env.error === undefined ? {} : { error: env.error }) });
  }

  /** The accepted changes, newest first: version, scope (`all`, `group:<g>`, `gateway:<id>`), document, time. */
  async history(limit: number): Promise<ConfigHistoryEntry[]> {
    return this.#d.store.history(limit);
  }

  /** Per gateway: desired vs reported version, last status and error. */
  async status(): Promise<ConfigStatusRow[]> {
    return (await this.#d.store.status()).map((r) => ({ ...r, inSync: r.desiredVersion !== undefined && r.desiredVersion === r.reportedVersion && r.status === 'APPLIED' }));
  }
}
