/**
 * Per-gateway limit on the light queues a gateway's publishes create (issue 23 item 11: one gateway
 * publishing 30,000 device/stream pairs made 30,038 queues, each an index the store keeps forever).
 *
 * Counted: the distinct exact topics a gateway has published on `telemetry/…` and `events/…` — one light
 * queue (`t:{topic}`) per device/stream or device/event-type pair: on JetStream every topic's, on the
 * embedded store each one a session subscribes to exactly (an app's `telemetry/gw1/th-1/temp`). Not
 * counted: `cmd-result/…` (one per command the cloud sent, so the cloud bounds it), `status/{gw}` and
 * `config-reported/{gw}` (one each).
 *
 * The sets live in memory: the count starts afresh when the node starts, and on a cluster each node counts
 * what it served — so a gateway can create at most `max` new queues per node start, not unlimited.
 */
const COUNTED = new Set(['telemetry', 'events']);

export class QueueCardinality {
  readonly #max: number;
  readonly #topics = new Map<string, Set<string>>();

  /** `max` = 0: no limit. */
  constructor(max: number) {
    this.#max = max;
  }

  /** True when `gateway` may publish on `topic`: already counted, not a counted kind, or under the limit. */
  admit(gateway: string, topic: string): boolean {
    if (this.#max === 0) return true;
    const slash = topic.indexOf('/');
    if (!COUNTED.has(slash < 0 ? topic : topic.slice(0, slash))) return true;
    let set = this.#topics.get(gateway);
    if (set === undefined) {
      set = new Set();
      this.#topics.set(gateway, set);
    }
    if (set.has(topic)) return true;
    if (set.size >= this.#max) return false;
    set.add(topic);
    return true;
  }

  /** Queues counted for a gateway (for tests and stats). */
  count(gateway: string): number {
    return this.#topics.get(gateway)?.size ?? 0;
  }
}
