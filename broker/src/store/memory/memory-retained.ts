import { matchTopic } from '@causeway/shared';
import type { RetainedStore, StoredMessage } from '../contract.js';
import { isExpired } from '../store-args.js';

/**
 * Retained messages by topic. Each holds its own reference to the message, so log retention never
 * drops a retained message: it stays until replaced, cleared or expired [MQTT-3.3.1-5].
 */
export class MemoryRetained implements RetainedStore {
  private readonly byTopic = new Map<string, StoredMessage>();

  constructor(private readonly assertOpen: () => void) {}

  async setRetained(message: StoredMessage): Promise<void> {
    this.assertOpen();
    // A zero-byte retained payload removes the retained message of the topic [MQTT-3.3.1-10].
    if (message.payload.length === 0) this.byTopic.delete(message.topic);
    else this.byTopic.set(message.topic, message);
  }

  async matchRetained(filter: string): Promise<StoredMessage[]> {
    this.assertOpen();
    const now = Date.now();
    const out: StoredMessage[] = [];
    for (const [topic, m] of this.byTopic) {
      if (isExpired(m, now)) {
        // An expired retained message must not be delivered [MQTT-3.3.2-5]; forget it.
        this.byTopic.delete(topic);
        continue;
      }
      if (matchTopic(filter, topic)) out.push(m);
    }
    return out;
  }

  async countRetained(): Promise<number> {
    this.assertOpen();
    return this.byTopic.size;
  }
}
