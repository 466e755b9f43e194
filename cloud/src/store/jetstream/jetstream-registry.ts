import { type KV, StorageType } from 'nats';
import { CausewayError } from '@causeway/shared';
import { type DeviceRegistry, type RegistryEntry, type RegistryQuery, applyPatch, matchesQuery } from '../../identity/registry/contract.js';
import { apiErrorCode, WRONG_LAST_SEQUENCE } from './nats-errors.js';
import type { JetStreamStore } from './jetstream-store.js';
import { escapeToken } from './subject-escape.js';

const MAX_CAS_ATTEMPTS = 20;

/**
 * The device registry in a JetStream KV bucket (`<prefix>_registry`, key = escaped id, value = the entry
 * as JSON), so every node authenticates against the same gateways, devices and apps (issue 9). Create is
 * KV `create` (fails if the key exists: REGISTRY_EXISTS, atomic across nodes); updates are
 * compare-and-set on the entry's revision, retried when another node wrote in between.
 */
export class JetStreamRegistry implements DeviceRegistry {
  constructor(private readonly kv: KV) {}

  async create(entry: RegistryEntry): Promise<void> {
    try {
      await this.kv.create(escapeToken(entry.id), JSON.stringify(entry));
    } catch (err) {
      if (apiErrorCode(err) === WRONG_LAST_SEQUENCE) throw new CausewayError('REGISTRY_EXISTS', `${entry.kind} ${entry.id} already exists`);
      throw err;
    }
  }

  /**
   * KV has no multi-key transaction: the entries are created one by one and, when one fails, the ones
   * this call created are deleted again. A node that dies in between leaves a prefix created (issue 20;
   * docs/api.md says so: re-run the import, rotate the ones whose secrets were not saved).
   */
  async createMany(entries: readonly RegistryEntry[]): Promise<void> {
    const done: string[] = [];
    try {
      for (const e of entries) {
        await this.create(e);
        done.push(e.id);
      }
    } catch (err) {
      for (const id of done) await this.kv.delete(escapeToken(id)).catch(() => undefined);
      throw err;
    }
  }

  async get(id: string): Promise<RegistryEntry | undefined> {
    const e = await this.kv.get(escapeToken(id));
    return e === null || e.operation !== 'PUT' ? undefined : (e.json() as RegistryEntry);
  }

  async list(query: RegistryQuery = {}): Promise<RegistryEntry[]> {
    // Keys first, values after: awaiting inside the keys iterator loses the keys still queued in it.
    const keys: string[] = [];
    for await (const key of await this.kv.keys()) keys.push(key);
    const out: RegistryEntry[] = [];
    for (const key of keys) {
      const e = await this.kv.get(key);
      if (e === null || e.operation !== 'PUT') continue;
      const entry = e.json() as RegistryEntry;
      if (matchesQuery(entry, query)) out.push(entry);
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  async update(id: string, patch: Partial<Omit<RegistryEntry, 'id' | 'createdAt'>>): Promise<RegistryEntry> {
    const next = await this.cas(id, (e) => applyPatch(e, patch));
    if (next === undefined) throw new CausewayError('REGISTRY_NOT_FOUND', `no gateway, device or app with id ${id}`);
    return next;
  }

  async delete(id: string): Promise<boolean> {
    if ((await this.get(id)) === undefined) return false;
    await this.kv.purge(escapeToken(id));
    return true;
  }

  async markSeen(id: string, online: boolean, at: number): Promise<void> {
    await this.cas(id, (e) => ({ ...e, online, lastSeenAt: at }));
  }

  /** Reads, changes and writes back only if nobody wrote in between; undefined for an unknown id. */
  private async cas(id: string, change: (e: RegistryEntry) => RegistryEntry): Promise<RegistryEntry | undefined> {
    const key = escapeToken(id);
    for (let i = 0; i < MAX_CAS_ATTEMPTS; i++) {
      const cur = await this.kv.get(key);
      if (cur === null || cur.operation !== 'PUT') return undefined;
      const next = change(cur.json() as RegistryEntry);
      try {
        await this.kv.update(key, JSON.stringify(next), cur.revision);
        return next;
      } catch (err) {
        if (apiErrorCode(err) !== WRONG_LAST_SEQUENCE) throw err;
      }
    }
    throw new CausewayError('REGISTRY_CONFLICT', `registry entry ${id} changed ${MAX_CAS_ATTEMPTS} times while being updated`);
  }

  /** The bucket belongs to the store's connection, which the store closes. */
  async close(): Promise<void> {}
}

/** Opens (creating if needed) the registry bucket of a JetStream store, with the store's replicas. */
export async function openJetStreamRegistry(store: JetStreamStore): Promise<JetStreamRegistry> {
  const kv = await store.js.views.kv(store.options.names.registryBucket, { history: 1, replicas: store.options.replicas, storage: StorageType.File });
  return new JetStreamRegistry(kv);
}
