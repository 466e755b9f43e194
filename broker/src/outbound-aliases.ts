/**
 * Topic aliases the broker assigns on one connection's deliveries (MQTT 5 §3.3.2.3.4), within the Topic
 * Alias Maximum the client sent in CONNECT [MQTT-3.1.2-26]: the first PUBLISH on a topic carries the topic
 * and a new alias, later ones the alias and an empty topic. Least recently used topics give up their alias
 * when all are taken, so a subscriber whose topics drift keeps the savings on the ones that repeat.
 * Per connection: aliases do not outlive the network connection [MQTT-3.3.2-7]. Pure (no I/O).
 */
export class OutboundTopicAliases {
  /** most aliases this connection may hold: the client's maximum, capped by ours */
  readonly maximum: number;
  /** topic → alias, least recently used first (Map keeps insertion order; a use re-inserts) */
  readonly #byTopic = new Map<string, number>();
  /** aliases handed back by `forget`, reused before new numbers */
  readonly #free: number[] = [];
  #next = 1;

  constructor(maximum: number) {
    this.maximum = Math.max(0, Math.min(maximum, 0xffff));
  }

  /** The alias the client already knows for `topic` (0 if none), marking it recently used. */
  known(topic: string): number {
    const alias = this.#byTopic.get(topic);
    if (alias === undefined) return 0;
    // Re-inserting moves the topic to the end: the least recently used stays first.
    this.#byTopic.delete(topic);
    this.#byTopic.set(topic, alias);
    return alias;
  }

  /**
   * A new alias for `topic` (which must not be known), taking the least recently used topic's alias when
   * all are in use; 0 if this connection has none. The PUBLISH that carries it must carry the topic too.
   */
  assign(topic: string): number {
    if (this.maximum === 0) return 0;
    let alias = this.#free.pop();
    if (alias === undefined && this.#next <= this.maximum) alias = this.#next++;
    if (alias === undefined) {
      const oldest = this.#byTopic.entries().next().value!;
      this.#byTopic.delete(oldest[0]);
      alias = oldest[1];
    }
    this.#byTopic.set(topic, alias);
    return alias;
  }

  /** The PUBLISH that would have set `topic`'s alias was not sent (too big for the client): the client never learnt it. */
  forget(topic: string): void {
    const alias = this.#byTopic.get(topic);
    if (alias === undefined) return;
    this.#byTopic.delete(topic);
    this.#free.push(alias);
  }

  /** Topics holding an alias now. */
  get size(): number {
    return this.#byTopic.size;
  }
}

/** Topics this short cost no fewer bytes as an alias (3 bytes of property) than as a name. */
export const MIN_ALIASED_TOPIC_LENGTH = 4;

/** Most aliases the broker keeps per connection, whatever the client allows (bounds memory). */
export const MAX_OUTBOUND_ALIASES = 1024;
