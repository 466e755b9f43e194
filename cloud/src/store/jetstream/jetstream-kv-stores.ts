import type { KV, KvEntry } from 'nats';
import { hasWildcard, matchTopic } from '@causeway/shared';
import { type OffsetStore, type RetainedStore, type SessionState, type SessionStore, type StoredMessage, checkOffset, checkQueueName, isExpired, StoreError } from '@causeway/broker';
import { decodeRetained, encodeRetained } from './message-codec.js';
import type { RetainedIndex } from './retained-index.js';
import { escapeToken, topicToTokens, unescapeToken } from './subject-escape.js';

/**
 * The small durable state any node must see after a client reconnects elsewhere, as JetStream KV buckets
 * (history 1, same replicas as the log). Keys are escaped tokens (subject-escape.ts), so a bucket can be
 * listed with a subject filter: a consumer's offsets by `<consumer>.*`, retained messages by the topic
 * filter itself.
 */

function live(e: KvEntry | null): KvEntry | undefined {
  return e === null || e.operation !== 'PUT' ? undefined : e;
}

async function collectKeys(kv: KV, filter: string | string[]): Promise<string[]> {
  const out: string[] = [];
  // One filter per listing: several filter subjects on one consumer need nats-server 2.10 (Debian has 2.9).
  for (const f of Array.isArray(filter) ? filter : [filter]) for await (const k of await kv.keys(f)) out.push(k);
  return out;
}

async function io<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError('STORE_IO', `JetStream KV ${what} failed: ${(err as Error).message}`, { cause: err });
  }
}

/** Offsets: key `<consumer>.<queue>`, value the decimal offset. */
export class JetStreamOffsets implements OffsetStore {
  constructor(private readonly kv: KV, private readonly assertOpen: () => void) {}

  private key(consumer: string, queue: string): string {
    return `${escapeToken(consumer)}.${escapeToken(queue)}`;
  }

  async getOffset(consumer: string, queue: string): Promise<number | undefined> {
    this.assertOpen();
    const e = live(await io('get', () => this.kv.get(this.key(consumer, queue))));
    return e === undefined ? undefined : Number(e.string());
  }

  async setOffset(consumer: string, queue: string, offset: number): Promise<void> {
    this.assertOpen();
    checkQueueName(queue);
    checkOffset('offset', offset);
    await io('put', () => this.kv.put(this.key(consumer, queue), String(offset)));
  }

  async listOffsets(consumer: string): Promise<Record<string, number>> {
    this.assertOpen();
    const prefix = `${escapeToken(consumer)}.`;
    const out: Record<string, number> = {};
    for (const key of await io('keys', () => collectKeys(this.kv, `${prefix}*`))) {
      const e = live(await io('get', () => this.kv.get(key)));
      if (e !== undefined) out[unescapeToken(key.slice(prefix.length))] = Number(e.string());
    }
    return out;
  }

  async deleteConsumer(consumer: string): Promise<void> {
    this.assertOpen();
    const keys = await io('keys', () => collectKeys(this.kv, `${escapeToken(consumer)}.*`));
    await io('purge', () => Promise.all(keys.map((k) => this.kv.purge(k))));
  }
}

/**
 * Retained messages: key = the escaped topic, value = the whole message (own copy, not a log pointer).
 * Lookups: an exact topic is one direct get; a wildcard filter walks the node's RetainedIndex and gets
 * the matching keys — no consumer is created per SUBSCRIBE.
 */
export class JetStreamRetained implements RetainedStore {
  constructor(
    private readonly kv: KV,
    private readonly index: RetainedIndex,
    private readonly assertOpen: () => void,
  ) {}

  async setRetained(message: StoredMessage): Promise<void> {
    this.assertOpen();
    const key = topicToTokens(message.topic);
    // A zero-byte retained payload removes the retained message of the topic [MQTT-3.3.1-10].
    if (message.payload.length === 0) await io('purge', () => this.kv.purge(key));
    else await io('put', () => this.kv.put(key, encodeRetained(message)));
    this.index.apply(key, message.payload.length > 0);
  }

  async matchRetained(filter: string): Promise<StoredMessage[]> {
    this.assertOpen();
    const keys = hasWildcard(filter) ? this.index.topics.match(filter).map(topicToTokens) : [topicToTokens(filter)];
    const now = Date.now();
    const out: StoredMessage[] = [];
    const entries = await io('get', () => Promise.all(keys.map((k) => this.kv.get(k))));
    for (const [i, key] of keys.entries()) {
      const e = live(entries[i]!);
      if (e === undefined) continue;
      const m = decodeRetained(e.value);
      if (isExpired(m, now)) {
        // An expired retained message must not be delivered [MQTT-3.3.2-5]; forget it.
        await io('purge', () => this.kv.purge(key));
        this.index.apply(key, false);
        continue;
      }
      if (matchTopic(filter, m.topic)) out.push(m);
    }
    return out;
  }

  async countRetained(): Promise<number> {
    this.assertOpen();
    return (await io('keys', () => collectKeys(this.kv, '>'))).length;
  }
}

/** Sessions: key = the escaped client id, value = the state as JSON. */
export class JetStreamSessions implements SessionStore {
  constructor(private readonly kv: KV, private readonly assertOpen: () => void) {}

  async getSession(clientId: string): Promise<SessionState | undefined> {
    this.assertOpen();
    const e = live(await io('get', () => this.kv.get(escapeToken(clientId))));
    return e === undefined ? undefined : (e.json() as SessionState);
  }

  async putSession(state: SessionState): Promise<void> {
    this.assertOpen();
    await io('put', () => this.kv.put(escapeToken(state.clientId), JSON.stringify(state)));
  }

  async deleteSession(clientId: string): Promise<void> {
    this.assertOpen();
    await io('purge', () => this.kv.purge(escapeToken(clientId)));
  }

  async listSessions(): Promise<SessionState[]> {
    this.assertOpen();
    const out: SessionState[] = [];
    for (const key of await io('keys', () => collectKeys(this.kv, '>'))) {
      const e = live(await io('get', () => this.kv.get(key)));
      if (e !== undefined) out.push(e.json() as SessionState);
    }
    return out;
  }
}
