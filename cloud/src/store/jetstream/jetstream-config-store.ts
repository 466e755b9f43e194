import type { KV } from 'nats';
import type { ConfigDoc, ConfigHistoryEntry, ConfigReport, ConfigStatusRecord, ConfigStore } from '../../control/control-store.js';
import { compareAndSet } from './kv-compare-and-set.js';
import { isPut, scanKv } from './kv-scan.js';
import { escapeToken, unescapeToken } from './subject-escape.js';

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
    const v = await compareAndSet<DesiredValue, number>(this.kv, 'version', (cur) => {
      const version = (cur?.version ?? 0) + 1;
      return { value: { version }, result: version };
    });
    return v!;
  }

  async putDoc(scope: string, entry: ConfigDoc, at: number): Promise<void> {
    // History first: a version is handed out once, so its key is written once (`history.<version>`).
    const h: ConfigHistoryEntry = { version: entry.version, scope, doc: entry.doc, at };
    await this.kv.put(`history.${entry.version}`, JSON.stringify(h));
    await compareAndSet<ConfigDoc & { updatedAt: number }, true>(this.kv, `doc.${escapeToken(scope)}`, (cur) =>
      cur !== undefined && cur.version >= entry.version ? undefined : { value: { ...entry, updatedAt: at }, result: true },
    );
  }

  async history(limit: number): Promise<ConfigHistoryEntry[]> {
    const all = (await scanKv(this.kv, 'history.>', this.timeoutMs)).map((e) => e.json() as ConfigHistoryEntry);
    return all.sort((a, b) => b.version - a.version).slice(0, limit);
  }

  async getDoc(scope: string): Promise<ConfigDoc | undefined> {
    const e = await this.kv.get(`doc.${escapeToken(scope)}`);
    if (e === null || !isPut(e)) return undefined;
    const { version, doc } = e.json() as ConfigDoc;
    return { version, doc };
  }

  async setDesired(gateway: string, version: number): Promise<void> {
    await compareAndSet<DesiredValue, true>(this.kv, `desired.${escapeToken(gateway)}`, (cur) =>
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
    for (const e of await scanKv(this.kv, 'desired.>', this.timeoutMs)) row(e.key, 'desired.').desiredVersion = (e.json() as DesiredValue).version;
    for (const e of await scanKv(this.kv, 'reported.>', this.timeoutMs)) {
      const rep = e.json() as ConfigReport;
      Object.assign(row(e.key, 'reported.'), { reportedVersion: rep.version, status: rep.status, reportedAt: rep.at, ...(rep.error === undefined ? {} : { error: rep.error }) });
    }
    return [...rows.values()].sort((a, b) => (a.gateway < b.gateway ? -1 : a.gateway > b.gateway ? 1 : 0));
  }
}
