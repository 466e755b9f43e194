import { hasWildcard, TopicTrie } from '@causeway/shared';

/** Something that pulls from the log when a topic it follows gets a message (a session, a shared group). */
export interface Follower {
  pump(): Promise<void>;
}

/**
 * The broker's topic indexes:
 * - every filter that any session holds, online or persistent offline, with a use count: a message is
 *   indexed into the light queue of its topic only while an exact filter on it is held, and into the
 *   light queue of each held wildcard filter that matches (no pre-registration needed). A light queue
 *   nobody holds has no reader that could ever use its entries: a new subscription starts at its end;
 * - the followers to wake when a topic gets a message: connected sessions and shared groups.
 */
export class SubscriptionIndex {
  readonly #wildcards = new TopicTrie<string>();
  /** every filter held, exact or wildcard, with its use count */
  readonly #uses = new Map<string, number>();
  readonly #followers = new TopicTrie<Follower>();
  #wildcardsChanged = 0;

  /** Changes whenever a wildcard filter comes or goes: what wildcardsMatching answered before may be stale. */
  get wildcardsVersion(): number {
    return this.#wildcardsChanged;
  }

  /** A session (or a shared group's member) holds `filter`, exact or wildcard. */
  hold(filter: string): void {
    const n = this.#uses.get(filter) ?? 0;
    this.#uses.set(filter, n + 1);
    if (n === 0 && hasWildcard(filter)) {
      this.#wildcards.add(filter, filter);
      this.#wildcardsChanged++;
    }
  }

  /** One holder of `filter` let it go. */
  release(filter: string): void {
    const n = (this.#uses.get(filter) ?? 0) - 1;
    if (n > 0) this.#uses.set(filter, n);
    else {
      this.#uses.delete(filter);
      if (hasWildcard(filter)) {
        this.#wildcards.remove(filter, filter);
        this.#wildcardsChanged++;
      }
    }
  }

  /** True while some session holds the exact filter `topic` (a topic has no wildcard): its light queue is indexed. */
  holdsExact(topic: string): boolean {
    return this.#uses.has(topic);
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
