import { StoreError } from './store-error.js';

/**
 * Argument checks shared by every backend, so that each rejects bad input with the same typed error
 * instead of silently storing something no reader can find again.
 */

export function checkQueueName(queue: string): void {
  if (typeof queue !== 'string' || queue.length === 0) {
    throw new StoreError('STORE_INVALID', `queue name must be a non-empty string, got ${JSON.stringify(queue)}`);
  }
}

export function checkOffset(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new StoreError('STORE_INVALID', `${what} must be a non-negative integer, got ${String(value)}`);
  }
}

/** Distinct queue names in first-seen order ("duplicates in the list are ignored"). */
export function distinctQueues(queues: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const q of queues) {
    checkQueueName(q);
    seen.add(q);
  }
  return [...seen];
}

/** A message is expired once its expiry time has passed; a message without expiry never is. */
export function isExpired(message: { expiresAt?: number }, now: number): boolean {
  return message.expiresAt !== undefined && message.expiresAt <= now;
}
