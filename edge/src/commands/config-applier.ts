import { ConfigError, tryDecodeEnvelope, parseJson, type ConfigEnvelope, type ConfigReportedEnvelope, type Logger } from '@causeway/shared';
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

/** Boots with an unconfirmed config after which it is rolled back at once, without trying again. */
export const MAX_UNCONFIRMED_BOOTS = 3;

interface AppliedRow {
  version: number;
  doc: string;
  previous: string | null;
  confirmed: number;
  boots: number;
}

type Snapshot = { version: number; config: Record<string, unknown> };

/**
 * Applies desired config pushed on `config/{gateway}` (retained): validate → persist (unconfirmed) →
 * apply → confirm the uplink works with it → report. A config after which the link does not come back
 * within the timeout is rolled back to the previous one and reported ROLLED_BACK.
 *
 * The document is persisted before it is applied and stays unconfirmed until the link has worked with
 * it once, so the rollback holds across restarts and power cuts (issue 23, item 4): a restart with an
 * unconfirmed config re-arms the timer, and after MAX_UNCONFIRMED_BOOTS such restarts (a config that
 * crashes the agent) the previous config is restored before anything else runs. A version is applied
 * once: its retained copy, redelivered on every reconnect, is recognised by its version (issue 22).
 */
export class ConfigApplier {
  readonly #o: ConfigApplierOptions;
  readonly #now: () => number;
  #chain: Promise<void> = Promise.resolve();

  constructor(opts: ConfigApplierOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
  }

  #row(): AppliedRow | undefined {
    return this.#o.inbox.db.prepare('SELECT version, doc, previous, confirmed, boots FROM applied_config WHERE id = 1').get() as AppliedRow | undefined;
  }

  /** The version and document applied now (undefined before the first remote config). */
  current(): Snapshot | undefined {
    const r = this.#row();
    if (r === undefined) return undefined;
    const config = this.#parse(r.doc, r.version);
    return config === undefined ? undefined : { version: r.version, config };
  }

  /** A stored document, or undefined when it holds a prototype key (stored by an older version; issue 23 item 2). */
  #parse(doc: string, version: number): Record<string, unknown> | undefined {
    try {
      return parseJson(doc, 'stored remote config') as Record<string, unknown>;
    } catch (err) {
      this.#o.logger.error('stored remote config refused; running the local config', { version, err });
      return undefined;
    }
  }

  /** True while the current config has not yet been confirmed by a working uplink. */
  pendingConfirmation(): boolean {
    return this.#row()?.confirmed === 0;
  }

  /**
   * Re-applies the persisted config at start-up, before the uplink connects. An unconfirmed one gets its
   * rollback timer again (confirmed in the background once the uplink is up), or is rolled back at once
   * when it has already survived MAX_UNCONFIRMED_BOOTS restarts without a working link.
   */
  async restore(): Promise<number | undefined> {
    const row = this.#row();
    if (row === undefined) return undefined;
    const config = this.#parse(row.doc, row.version);
    if (config === undefined) return undefined;
    const cur: Snapshot = { version: row.version, config };
    if (row.confirmed === 1) {
      await this.#o.apply(cur.config);
      return cur.version;
    }
    const previous = row.previous === null ? undefined : (this.#parse(row.previous, row.version) as Snapshot | undefined);
    const boots = row.boots + 1;
    this.#o.inbox.db.prepare('UPDATE applied_config SET boots = ? WHERE id = 1').run(boots);
    if (boots > MAX_UNCONFIRMED_BOOTS) {
      this.#o.logger.warn('unconfirmed config survived too many restarts; rolling back', { version: cur.version, boots: row.boots, to: previous?.version });
      await this.#rollback(cur.version, previous, `agent restarted ${row.boots} times before the uplink worked with this config`);
      return previous?.version;
    }
    await this.#o.apply(cur.config);
    this.#o.logger.info('unconfirmed config restored; rollback re-armed', { version: cur.version, boots, timeoutMs: this.#o.rollbackTimeoutMs });
    const run = this.#chain.then(() => this.#confirm(cur.version, previous));
    this.#chain = run.catch((err: unknown) => this.#o.logger.error('config confirmation failed', { err }));
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
    // Persisted, unconfirmed, before it takes effect: whatever happens from here (a kill -9, a power cut,
    // a link that never comes back), the next start knows to confirm it or roll it back.
    this.#o.inbox.db
      .prepare(
        `INSERT INTO applied_config (id, version, doc, previous, confirmed, boots) VALUES (1, ?, ?, ?, 0, 0)
         ON CONFLICT(id) DO UPDATE SET version = excluded.version, doc = excluded.doc, previous = excluded.previous, confirmed = 0, boots = 0`,
      )
      .run(env.version, JSON.stringify(env.config), cur === undefined ? null : JSON.stringify(cur));
    try {
      await this.#o.apply(env.config);
    } catch (err) {
      // Valid by the schema, yet the agent could not run it (a port that cannot be opened, a rule that
      // fails to start): go back to what ran before, at once, and say why.
      this.#o.logger.warn('desired config could not be applied; rolling back', { version: env.version, err });
      await this.#rollback(env.version, cur, `could not be applied: ${(err as Error).message}`, 'REJECTED');
      return;
    }
    await this.#confirm(env.version, cur);
  }

  /** Waits for a working uplink with the config `version`; reports APPLIED, or rolls back to `previous`. */
  async #confirm(version: number, previous: Snapshot | undefined): Promise<void> {
    if (await this.#o.linkHealthy(this.#o.rollbackTimeoutMs)) {
      this.#o.inbox.db.prepare('UPDATE applied_config SET confirmed = 1, boots = 0 WHERE id = 1 AND version = ?').run(version);
      this.#o.logger.info('desired config applied', { version });
      await this.#report(version, 'APPLIED');
      return;
    }
    // The new config broke the uplink: go back to what worked.
    this.#o.logger.warn('desired config broke the uplink; rolling back', { version, to: previous?.version });
    await this.#rollback(version, previous, `uplink did not reconnect within ${this.#o.rollbackTimeoutMs} ms`);
  }

  async #rollback(version: number, previous: Snapshot | undefined, reason: string, status: 'ROLLED_BACK' | 'REJECTED' = 'ROLLED_BACK'): Promise<void> {
    const db = this.#o.inbox.db;
    await this.#o.apply(previous?.config ?? {});
    db.transaction(() => {
      if (previous !== undefined) {
        db.prepare('UPDATE applied_config SET version = ?, doc = ?, previous = NULL, confirmed = 1, boots = 0 WHERE id = 1').run(previous.version, JSON.stringify(previous.config));
      } else {
        db.prepare('DELETE FROM applied_config WHERE id = 1').run();
      }
      this.#refuse(version, status);
    })();
    await this.#report(version, status, { message: reason });
  }
}
