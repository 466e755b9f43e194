import { ConfigError } from '../../../shared/src/errors/config-error.js';
import { tryDecodeEnvelope } from '../../../shared/src/codec/envelope-codec.js';
import { parseJson } from '../../../shared/src/json/safe-json.js';
import type { ConfigEnvelope, ConfigReportedEnvelope } from '../../../shared/src/envelopes/types.js';
import type { Logger } from '../../../shared/src/log/logger.js';
import type { CommandInbox } from './command-inbox.js';
import type { ResultSink } from './contract.js';

export interface ConfigApplierOptions {
  gateway: string;
  inbox: CommandInbox;
  results: ResultSink;
  /** throws a ConfigError naming the key when the document does not fit the agent's schema */
  validate: (config: Record<string, unknown>) => void;
  /** applies what can be applied without a restart (rules, streams, ports, uplink settings) */
  apply: (config: Record<string, unknown>) => Promise<void>;
  /** resolves true once the uplink is (again) connected within the timeout */
  linkHealthy: (timeoutMs: number) => Promise<boolean>;
  rollbackTimeoutMs: number;
  logger: Logger;
  now?: () => number;
}

/**
 * Applies desired config pushed on `config/{gateway}` (retained): validate → apply → persist → confirm
 * the uplink still works → report. A config after which the link does not come back within the timeout
 * is rolled back to the previous one and reported ROLLED_BACK.
 */
export class ConfigApplier {
  readonly #o: ConfigApplierOptions;
  readonly #now: () => number;
  #chain: Promise<void> = Promise.resolve();

  constructor(opts: ConfigApplierOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
  }

  /** The version and document applied now (undefined before the first remote config). */
  current(): { version: number; config: Record<string, unknown> } | undefined {
    const r = this.#o.inbox.db.prepare('SELECT version, doc FROM applied_config WHERE id = 1').get() as { version: number; doc: string } | undefined;
    if (r === undefined) return undefined;
    try {
      return { version: r.version, config: parseJson(r.doc, 'stored remote config') as Record<string, unknown> };
    } catch (err) {
      // A document an older version stored with a prototype key is not run again (issue 23 item 2).
      this.#o.logger.error('stored remote config refused; running the local config', { version: r.version, err });
      return undefined;
    }
  }

  /** Re-applies the persisted config at start-up, before the uplink connects. */
  async restore(): Promise<number | undefined> {
    const cur = this.current();
    if (cur === undefined) return undefined;
    await this.#o.apply(cur.config);
    return cur.version;
  }

  /** Handles one message from config/{gateway}; serialised so versions apply in order. */
  receive(payload: Buffer): Promise<void> {
    const run = this.#chain.then(() => this.#receive(payload));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #report(version: number, status: ConfigReportedEnvelope['status'], error?: { key?: string; message: string }): Promise<void> {
    await this.#o.results.sendConfigReport({
      v: 1,
      type: 'config-reported',
      id: `config.${version}.${status}`,
      gateway: this.#o.gateway,
      version,
      status,
      ts: this.#now(),
      ...(error === undefined ? {} : { error }),
    });
  }

  #refuse(version: number, status: string): void {
    this.#o.inbox.db.prepare('INSERT OR REPLACE INTO refused_config (version, status, at) VALUES (?, ?, ?)').run(version, status, this.#now());
  }

  /** Handles an already-decoded config envelope; serialised like receive(). */
  receiveEnvelope(env: ConfigEnvelope): Promise<void> {
    const run = this.#chain.then(() => this.#apply(env));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #receive(payload: Buffer): Promise<void> {
    if (payload.length === 0) return; // retained config cleared
    const d = tryDecodeEnvelope(payload);
    if (!d.ok || d.envelope.type !== 'config') {
      this.#o.logger.warn('desired config dropped: not a config envelope', { reason: d.ok ? d.envelope.type : d.error.code });
      return;
    }
    await this.#apply(d.envelope);
  }

  async #apply(env: ConfigEnvelope): Promise<void> {
    const cur = this.current();
    if (cur !== undefined && env.version <= cur.version) return; // the retained copy of what we run, or older
    // A version we rejected or rolled back comes again as the retained message on every reconnect: do not
    // re-apply it (a rolled-back config would break the link again); the cloud already has our report.
    if (this.#o.inbox.db.prepare('SELECT 1 FROM refused_config WHERE version = ?').get(env.version) !== undefined) return;
    try {
      this.#o.validate(env.config);
    } catch (err) {
      const e = err instanceof ConfigError ? { ...(err.key === undefined ? {} : { key: err.key }), message: err.message } : { message: (err as Error).message };
      this.#o.logger.warn('desired config rejected', { version: env.version, configKey: e.key });
      this.#refuse(env.version, 'REJECTED');
      await this.#report(env.version, 'REJECTED', e);
      return;
    }
    const db = this.#o.inbox.db;
    await this.#o.apply(env.config);
    db.prepare('INSERT INTO applied_config (id, version, doc, previous) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET version = excluded.version, doc = excluded.doc, previous = excluded.previous')
      .run(env.version, JSON.stringify(env.config), cur === undefined ? null : JSON.stringify(cur));
    if (await this.#o.linkHealthy(this.#o.rollbackTimeoutMs)) {
      this.#o.logger.info('desired config applied', { version: env.version });
      await this.#report(env.version, 'APPLIED');
      return;
    }
    // The new config broke the uplink: go back to what worked.
    this.#o.logger.warn('desired config broke the uplink; rolling back', { version: env.version, to: cur?.version });
    if (cur !== undefined) {
      await this.#o.apply(cur.config);
      db.prepare('UPDATE applied_config SET version = ?, doc = ?, previous = NULL WHERE id = 1').run(cur.version, JSON.stringify(cur.config));
    } else {
      await this.#o.apply({});
      db.prepare('DELETE FROM applied_config WHERE id = 1').run();
    }
    this.#refuse(env.version, 'ROLLED_BACK');
    await this.#report(env.version, 'ROLLED_BACK', { message: `uplink did not reconnect within ${this.#o.rollbackTimeoutMs} ms` });
  }
}
