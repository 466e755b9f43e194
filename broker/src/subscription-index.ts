import { TopicTrie } from '@causeway/shared';

/** Something that pulls from the log when a topic it follows gets a message (a session, a shared group). */
export interface Follower {
  pump(): Promise<void>;
}

/**
 * The broker's two topic indexes:
 * - every wildcard filter that any session holds, online or persistent offline, with a use count: a
 *   message is indexed into the light queue of each that matches (no pre-registration needed);
 * - the followers to wake when a topic gets a message: connected sessions and shared groups.
 */
export class SubscriptionIndex {
  readonly #wildcards = new TopicTrie<string>();
  readonly #uses = new Map<string, number>();
  readonly #followers = new TopicTrie<Follower>();
  #wildcardsChanged = 0;

  /** Changes whenever a wildcard filter comes or goes: what wildcardsMatching answered before may be stale. */
  get wildcardsVersion(): number {
    return this.#wildcardsChanged;
  }

  addWildcard(filter: string): void {
    const n = this.#uses.get(filter) ?? 0;
    this.#uses.set(filter, n + 1);
    if (n === 0) {
      this.#wildcards.add(filter, filter);
      this.#wildcardsChanged++;
    }
  }

  removeWildcard(filter: string): void {
    const n = (this.#uses.get(filter) ?? 0) - 1;
    if (n > 0) this.#uses.set(filter, n);
    else {
      this.#uses.delete(filter);
      this.#wildcards.remove(filter, filter);
      this.#wildcardsChanged++;
    }
  }

  /** Wildcard filters whose light queues a message on `topic` belongs in. */
  wildcardsMatching(topic: string): string[] {
    return this.#wildcards.match(topic);
  }

  follow(filter: string, f: Follower): void {
    this.#followers.add(filter, f);
  }

  unfollow(filter: string, f: Follower): void {
    this.#followers.remove(filter, f);
  }

  followersOf(topic: string): Follower[] {
    return this.#followers.match(topic);
  }
}
