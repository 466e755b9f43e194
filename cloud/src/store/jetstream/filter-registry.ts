import type { KV, QueuedIterator, KvEntry } from 'nats';
import { TopicTrie } from '@causeway/shared';
import { escapeToken, unescapeToken } from './subject-escape.js';

/**
 * The wildcard filters subscribed anywhere in the cluster. The broker indexes a publish into the light
 * queue (`f:<filter>`) of every wildcard filter *its* sessions hold; with several nodes, a device on node
 * B publishing must also be indexed for a wildcard subscriber on node A. So a node registers each wildcard
 * light queue it starts reading in a KV bucket (key = the escaped filter), every node watches the bucket,
 * and the JetStream log adds the matching `f:` queues of other nodes' filters to each append.
 *
 * A filter registered a moment before a publish on another node may miss that one message (the watch is
 * asynchronous, a few ms on a LAN), as with any subscription racing a publish. Filters are never removed
 * (an unused one costs one index entry per matching message, not a payload copy); see docs/scale-out.md.
 */
export class FilterRegistry {
  private readonly trie = new TopicTrie<string>();
  private readonly known = new Set<string>();
  private watcher: QueuedIterator<KvEntry> | undefined;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly kv: KV) {}

  /** Resolves once the filters registered so far are loaded; later ones arrive as they are registered. */
  async start(): Promise<void> {
    let initialized!: () => void;
    const loaded = new Promise<void>((r) => (initialized = r));
    const w = await this.kv.watch({ key: '>', initializedFn: () => initialized() });
    this.watcher = w;
    this.loop = (async () => {
      for await (const e of w) {
        if (e.operation !== 'PUT') continue;
        try {
          this.add(unescapeToken(e.key));
        } catch {
          // a key not written by Causeway: ignored
        }
      }
    })();
    await Promise.race([loaded, new Promise((r) => setTimeout(r, 5000).unref())]);
  }

  private add(filter: string): void {
    if (this.known.has(filter)) return;
    this.known.add(filter);
    this.trie.add(filter, filter);
  }

  /** Makes `filter` known cluster-wide; resolves once it is durably registered. */
  async register(filter: string): Promise<void> {
    if (this.known.has(filter)) return;
    await this.kv.put(escapeToken(filter), '1');
    this.add(filter);
  }

  /** Light queues (`f:…`) of every registered filter matching `topic`. */
  queuesFor(topic: string): string[] {
    if (this.trie.size === 0) return [];
    return this.trie.match(topic).map((f) => `f:${f}`);
  }

  async stop(): Promise<void> {
    this.watcher?.stop();
    await this.loop.catch(() => undefined);
  }
}
