import { validateTopicFilter } from './topic-filter.js';

interface LevelNode {
  children: Map<string, LevelNode>;
  /** the topic ending at this node, if it is in the set */
  topic?: string;
}

/**
 * A set of topic names that answers "which of them does this filter match?" by walking only the levels
 * the filter can reach — the reverse of TopicTrie (filters → a topic). Retained-message lookups use it:
 * a subscription to `cmd/gw-7/+/+` touches gw-7's branch, not every retained topic of the fleet.
 * Wildcards in the first level do not match `$` topics [MQTT-4.7.2-1].
 *
 * @example
 * const s = new TopicSet();
 * s.add('status/gw-1'); s.add('status/gw-2'); s.add('$SYS/load');
 * s.match('status/+'); // ['status/gw-1', 'status/gw-2']
 * s.match('#');        // ['status/gw-1', 'status/gw-2']
 */
export class TopicSet {
  readonly #root: LevelNode = { children: new Map() };
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds a topic name; false if it was there. */
  add(topic: string): boolean {
    let n = this.#root;
    for (const level of topic.split('/')) {
      let child = n.children.get(level);
      if (child === undefined) {
        child = { children: new Map() };
        n.children.set(level, child);
      }
      n = child;
    }
    if (n.topic !== undefined) return false;
    n.topic = topic;
    this.#size++;
    return true;
  }

  has(topic: string): boolean {
    let n: LevelNode | undefined = this.#root;
    for (const level of topic.split('/')) if ((n = n.children.get(level)) === undefined) return false;
    return n.topic !== undefined;
  }

  /** Removes a topic name (and the branches it alone used); false if it was not there. */
  delete(topic: string): boolean {
    const path: Array<[LevelNode, string]> = [];
    let n: LevelNode | undefined = this.#root;
    for (const level of topic.split('/')) {
      path.push([n, level]);
      if ((n = n.children.get(level)) === undefined) return false;
    }
    if (n.topic === undefined) return false;
    delete n.topic;
    this.#size--;
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, level] = path[i]!;
      const child = parent.children.get(level)!;
      if (child.topic !== undefined || child.children.size > 0) break;
      parent.children.delete(level);
    }
    return true;
  }

  /** Every topic in the set that `filter` matches (MQTT rules), each once. Throws FILTER_INVALID on a bad filter. */
  match(filter: string): string[] {
    validateTopicFilter(filter);
    const out: string[] = [];
    this.#walk(this.#root, filter.split('/'), 0, out);
    return out;
  }

  #walk(n: LevelNode, levels: string[], i: number, out: string[]): void {
    if (i === levels.length) {
      if (n.topic !== undefined) out.push(n.topic);
      return;
    }
    const level = levels[i]!;
    if (level === '#') {
      // `a/#` also matches `a` itself [MQTT-4.7.1-2]
      if (n.topic !== undefined && i > 0) out.push(n.topic);
      for (const [name, child] of n.children) if (!(i === 0 && name.startsWith('$'))) this.#all(child, out);
      return;
    }
    if (level === '+') {
      for (const [name, child] of n.children) if (!(i === 0 && name.startsWith('$'))) this.#walk(child, levels, i + 1, out);
      return;
    }
    const child = n.children.get(level);
    if (child !== undefined) this.#walk(child, levels, i + 1, out);
  }

  #all(n: LevelNode, out: string[]): void {
    if (n.topic !== undefined) out.push(n.topic);
    for (const child of n.children.values()) this.#all(child, out);
  }
}
