import type { KV, KvEntry, QueuedIterator } from 'nats';
import { TopicSet } from '@causeway/shared';
import { tokensToTopic } from './subject-escape.js';

/**
 * Which topics have a retained message, as this node knows them: every node watches the retained KV
 * bucket (one ordered consumer, keys only) and keeps the topic names in a TopicSet. A wildcard
 * subscription then finds its retained messages by walking the set and reading only the matching keys —
 * instead of listing the bucket with a filtered consumer per SUBSCRIBE, which at thousands of connects
 * per second buried nats-server in consumer creations (bench scale-out).
 *
 * This node's own writes are applied at once (read-your-writes); another node's arrive with the watch,
 * a few ms later — a subscription racing a retained publish on another node may miss it, as a
 * subscription racing any publish may.
 */
export class RetainedIndex {
  readonly topics = new TopicSet();
  #watcher: QueuedIterator<KvEntry> | undefined;
  #loop: Promise<void> = Promise.resolve();

  constructor(private readonly kv: KV) {}

  /** Resolves once the retained topics stored so far are known (or after 10 s, then they keep arriving). */
  async start(): Promise<void> {
    let initialized!: () => void;
    const loaded = new Promise<void>((r) => (initialized = r));
    const w = await this.kv.watch({ key: '>', headers_only: true, initializedFn: () => initialized() });
    this.#watcher = w;
    this.#loop = (async () => {
      for await (const e of w) this.apply(e.key, e.operation === 'PUT');
    })();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([loaded, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
    clearTimeout(timer);
  }

  /** Records that `key` (escaped topic tokens) holds a retained message now, or no longer. */
  apply(key: string, present: boolean): void {
    let topic: string;
    try {
      topic = tokensToTopic(key);
    } catch {
      return; // a key not written by Causeway
    }
    if (present) this.topics.add(topic);
    else this.topics.delete(topic);
  }

  async stop(): Promise<void> {
    this.#watcher?.stop();
    await this.#loop.catch(() => undefined);
  }
}
