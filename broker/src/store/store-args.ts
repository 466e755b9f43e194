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

/**
 * Distinct queue names in first-seen order ("duplicates in the list are ignored"): the list itself when
 * it has no duplicate (the usual case: a message's few queues, checked pairwise without a Set per
 * append), else a new one.
 */
export function distinctQueues(queues: readonly string[]): readonly string[] {
  const n = queues.length;
  for (let i = 0; i < n; i++) checkQueueName(queues[i]!);
  if (n > SMALL_QUEUE_LIST) return n === new Set(queues).size ? queues : [...new Set(queues)];
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) if (queues[i] === queues[j]) return [...new Set(queues)];
  }
  return queues;
}

/** up to this many names, duplicates are looked for pair by pair */
const SMALL_QUEUE_LIST = 16;

/** A message is expired once its expiry time has passed; a message without expiry never is. */
export function isExpired(message: { expiresAt?: number }, now: number): boolean {
  return message.expiresAt !== undefined && message.expiresAt <= now;
}
