import type { CommandService } from '../control/command-service.js';
import { OPEN } from '../control/command-state.js';
import { INSTALL_COMMAND } from './delivery-service.js';

/**
 * Who may fetch which content (issue 17): a gateway may read an artifact's bytes, over MQTT chunks or
 * HTTP ranges, only while a running rollout of that content has an open target on it (QUEUED … INSTALLING).
 * The set of gateways per content is read from the command store and kept for `ttlMs` (a download asks
 * thousands of times; the store is asked once per content per ttlMs), so a rollout canceled or finished
 * stops serving that gateway within ttlMs. A gateway not in the set is looked up again once the set is
 * older than `recheckMs` (a rollout created since, on another node), and a rollout made through this
 * node's API forgets the set at once (`forget`).
 */
export class FetchGrants {
  readonly #cache = new Map<string, { at: number; gateways: Promise<ReadonlySet<string>> }>();

  constructor(private readonly o: { commands: CommandService; ttlMs?: number; recheckMs?: number; now?: () => number }) {}

  async allowed(gateway: string, sha256: string): Promise<boolean> {
    const now = (this.o.now ?? Date.now)();
    const e = this.#cache.get(sha256);
    if (e !== undefined && now - e.at < (this.o.ttlMs ?? 2000)) {
      if ((await e.gateways).has(gateway)) return true;
      if (now - e.at < (this.o.recheckMs ?? 250)) return false;
    }
    const fresh = { at: now, gateways: this.#read(sha256) };
    this.#cache.set(sha256, fresh);
    // A failed read must not be remembered.
    fresh.gateways.catch(() => this.#cache.delete(sha256));
    if (this.#cache.size > 1000) this.#cache.delete(this.#cache.keys().next().value!);
    return (await fresh.gateways).has(gateway);
  }

  /** A rollout of this content was just created: the next ask reads the store. */
  forget(sha256: string): void {
    this.#cache.delete(sha256);
  }

  async #read(sha256: string): Promise<ReadonlySet<string>> {
    const out = new Set<string>();
    for (const c of await this.o.commands.running()) {
      if (c.name !== INSTALL_COMMAND) continue;
      const m = (c.args as { artifact?: { manifest?: { sha256?: unknown } } }).artifact?.manifest;
      if (m?.sha256 !== sha256) continue;
      for (const t of await this.o.commands.targets(c.id)) if (OPEN.includes(t.state)) out.add(t.gateway);
    }
    return out;
  }
}
