import type { StoredMessage } from '../contract.js';

export interface MessageCacheOptions {
  maxMessages: number;
  /** payload bytes, plus `entryOverhead` per message */
  maxBytes: number;
  /** bytes charged per message on top of its payload and topic (default 0: payload only) */
  entryOverhead?: number;
}

/** What a cached message is charged against a byte bound: payload, topic and a fixed overhead. */
export function cachedBytes(m: StoredMessage, entryOverhead: number): number {
  return entryOverhead === 0 ? m.payload.length : m.payload.length + m.topic.length + entryOverhead;
}

/**
 * Bounded LRU of recently appended or read messages by id (by count and by payload bytes). A broadcast
 * read by 10,000 subscribers then costs one payload read from disk, not 10,000: read amplification
 * touches the small index rows, the payload comes from here. Cached messages are shared; nobody mutates
 * a StoredMessage.
 */
export class MessageCache {
  private readonly map = new Map<number, StoredMessage>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  private readonly overhead: number;

  constructor(private readonly options: MessageCacheOptions) {
    this.overhead = options.entryOverhead ?? 0;
  }

  get(id: number): StoredMessage | undefined {
    const m = this.map.get(id);
    if (m === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Map keeps insertion order: re-inserting marks it most recently used.
    this.map.delete(id);
    this.map.set(id, m);
    return m;
  }

  set(m: StoredMessage): void {
    // A message bigger than a quarter of the budget would flush everything else for one reader.
    const size = cachedBytes(m, this.overhead);
    if (size > this.options.maxBytes / 4) return;
    this.delete(m.id);
    this.map.set(m.id, m);
    this.bytes += size;
    if (this.map.size > this.options.maxMessages || this.bytes > this.options.maxBytes) this.evict();
  }

  /**
   * Drops least recently used entries down to 7/8 of both bounds in one pass: evicting one entry per
   * insert would walk the Map's iterator (and the holes deletes leave at its front) on every append.
   */
  private evict(): void {
    const maxMessages = Math.floor((this.options.maxMessages * 7) / 8);
    const maxBytes = Math.floor((this.options.maxBytes * 7) / 8);
    for (const [id, old] of this.map) {
      if (this.map.size <= maxMessages && this.bytes <= maxBytes) break;
      this.map.delete(id);
      this.bytes -= cachedBytes(old, this.overhead);
    }
  }

  delete(id: number): void {
    const old = this.map.get(id);
    if (old === undefined) return;
    this.map.delete(id);
    this.bytes -= cachedBytes(old, this.overhead);
  }

  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }

  get size(): number {
    return this.map.size;
  }
}
