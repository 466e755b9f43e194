import { CausewayError } from '@causeway/shared';
import { applyPatch, matchesQuery, type DeviceRegistry, type RegistryEntry, type RegistryQuery } from './contract.js';

const clone = (e: RegistryEntry): RegistryEntry => structuredClone(e);

/** In-memory registry for tests. */
export class MemoryRegistry implements DeviceRegistry {
  readonly #entries = new Map<string, RegistryEntry>();

  async create(entry: RegistryEntry): Promise<void> {
    if (this.#entries.has(entry.id)) throw new CausewayError('REGISTRY_EXISTS', `${entry.kind} ${entry.id} already exists`);
    this.#entries.set(entry.id, clone(entry));
  }

  async createMany(entries: readonly RegistryEntry[]): Promise<void> {
    const taken = entries.find((e, i) => this.#entries.has(e.id) || entries.findIndex((x) => x.id === e.id) !== i);
    if (taken !== undefined) throw new CausewayError('REGISTRY_EXISTS', `${taken.kind} ${taken.id} already exists`);
    for (const e of entries) this.#entries.set(e.id, clone(e));
  }

  async get(id: string): Promise<RegistryEntry | undefined> {
    const e = this.#entries.get(id);
    return e === undefined ? undefined : clone(e);
  }

  async list(query: RegistryQuery = {}): Promise<RegistryEntry[]> {
    return [...this.#entries.values()].filter((e) => matchesQuery(e, query)).sort((a, b) => a.id.localeCompare(b.id)).map(clone);
  }

  async update(id: string, patch: Partial<Omit<RegistryEntry, 'id' | 'createdAt'>>): Promise<RegistryEntry> {
    const e = this.#entries.get(id);
    if (e === undefined) throw new CausewayError('REGISTRY_NOT_FOUND', `no gateway, device or app with id ${id}`);
    const next = applyPatch(e, patch);
    this.#entries.set(id, next);
    return clone(next);
  }

  async delete(id: string): Promise<boolean> {
    return this.#entries.delete(id);
  }

  async markSeen(id: string, online: boolean, at: number): Promise<void> {
    const e = this.#entries.get(id);
    if (e === undefined) return;
    e.online = online;
    e.lastSeenAt = at;
  }

  async close(): Promise<void> {}
}
