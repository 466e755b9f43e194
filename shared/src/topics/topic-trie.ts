import { validateTopicFilter } from './topic-filter.js';

interface TrieNode<T> {
  children: Map<string, TrieNode<T>>;
  /** values subscribed exactly at this node (the filter ends here) */
  values: Set<T>;
}

function node<T>(): TrieNode<T> {
  return { children: new Map(), values: new Set() };
}

/**
 * A subscription index: topic filters → values (sessions, queue ids). `match(topic)` returns every value
 * whose filter matches, each once, walking only the branches the topic can reach.
 *
 * @example
 * const trie = new TopicTrie<string>();
 * trie.add('telemetry/+/+/temp', 'dashboard');
 * trie.match('telemetry/gw1/dev1/temp'); // ['dashboard']
 */
export class TopicTrie<T> {
  readonly #root: TrieNode<T> = node();
  #size = 0;

  /** Number of (filter, value) pairs held. */
  get size(): number {
    return this.#size;
  }

  /** Adds value under filter. Returns false if it was already there. */
  add(filter: string, value: T): boolean {
    validateTopicFilter(filter);
    let n = this.#root;
    for (const level of filter.split('/')) {
      let child = n.children.get(level);
      if (child === undefined) {
        child = node();
        n.children.set(level, child);
      }
      n = child;
    }
    if (n.values.has(value)) return false;
    n.values.add(value);
    this.#size++;
    return true;
  }

  /** Removes value from filter, pruning empty branches. Returns false if it was not there. */
  remove(filter: string, value: T): boolean {
    const path: Array<[TrieNode<T>, string]> = [];
    let n = this.#root;
    for (const level of filter.split('/')) {
      const child = n.children.get(level);
      if (child === undefined) return false;
      path.push([n, level]);
      n = child;
    }
    if (!n.values.delete(value)) return false;
    this.#size--;
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, level] = path[i]!;
      const child = parent.children.get(level)!;
      if (child.values.size > 0 || child.children.size > 0) break;
      parent.children.delete(level);
    }
    return true;
  }

  /** Every value whose filter matches the topic name, without duplicates. */
  match(topic: string): T[] {
    const out = new Set<T>();
    const levels = topic.split('/');
    this.#walk(this.#root, levels, 0, topic.charCodeAt(0) === 36 /* $ */, out);
    return [...out];
  }

  /** True when at least one filter matches the topic; stops at the first match. */
  hasMatch(topic: string): boolean {
    return this.#any(this.#root, topic.split('/'), 0, topic.charCodeAt(0) === 36 /* $ */);
  }

  #any(n: TrieNode<T>, levels: string[], i: number, dollar: boolean): boolean {
    const wildcardsAllowed = !(i === 0 && dollar); // [MQTT-4.7.2-1]
    if (wildcardsAllowed && (n.children.get('#')?.values.size ?? 0) > 0) return true;
    if (i === levels.length) return n.values.size > 0;
    const exact = n.children.get(levels[i]!);
    if (exact !== undefined && this.#any(exact, levels, i + 1, dollar)) return true;
    if (!wildcardsAllowed) return false;
    const plus = n.children.get('+');
    return plus !== undefined && this.#any(plus, levels, i + 1, dollar);
  }

  #walk(n: TrieNode<T>, levels: string[], i: number, dollar: boolean, out: Set<T>): void {
    const wildcardsAllowed = !(i === 0 && dollar); // [MQTT-4.7.2-1]
    if (wildcardsAllowed) {
      const hash = n.children.get('#');
      if (hash !== undefined) for (const v of hash.values) out.add(v);
    }
    if (i === levels.length) {
      for (const v of n.values) out.add(v);
      return;
    }
    const exact = n.children.get(levels[i]!);
    if (exact !== undefined) this.#walk(exact, levels, i + 1, dollar, out);
    if (wildcardsAllowed) {
      const plus = n.children.get('+');
      if (plus !== undefined) this.#walk(plus, levels, i + 1, dollar, out);
    }
  }
}
