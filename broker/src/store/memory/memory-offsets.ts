import type { OffsetStore } from '../contract.js';
import { checkOffset, checkQueueName } from '../store-args.js';

/** Committed consumer offsets held in a map of maps. */
export class MemoryOffsets implements OffsetStore {
  private readonly byConsumer = new Map<string, Map<string, number>>();

  constructor(private readonly assertOpen: () => void) {}

  async getOffset(consumer: string, queue: string): Promise<number | undefined> {
    this.assertOpen();
    return this.byConsumer.get(consumer)?.get(queue);
  }

  async setOffset(consumer: string, queue: string, offset: number): Promise<void> {
    this.assertOpen();
    checkQueueName(queue);
    checkOffset('offset', offset);
    let m = this.byConsumer.get(consumer);
    if (m === undefined) {
      m = new Map();
      this.byConsumer.set(consumer, m);
    }
    m.set(queue, offset);
  }

  async listOffsets(consumer: string): Promise<Record<string, number>> {
    this.assertOpen();
    return Object.fromEntries(this.byConsumer.get(consumer) ?? []);
  }

  async deleteConsumer(consumer: string): Promise<void> {
    this.assertOpen();
    this.byConsumer.delete(consumer);
  }
}
