import { TopicError } from '../errors/topic-error.js';

/** Longest id segment (gateway, device, stream, group, command id) in UTF-8 bytes. */
export const MAX_ID_BYTES = 128;

/**
 * Throws a TopicError unless `id` can stand as one level of a Causeway topic: non-empty, at most
 * MAX_ID_BYTES, no MQTT wildcard (`+`, `#`), no level separator (`/`), no NUL or other control
 * character, and well-formed UTF-8. `what` names the segment in the message ("gateway id").
 */
export function validateId(id: unknown, what: string): asserts id is string {
  if (typeof id !== 'string') throw new TopicError('ID_INVALID', `${what} must be a string, got ${typeof id}`);
  if (id.length === 0) throw new TopicError('ID_INVALID', `${what} must not be empty`);
  if (Buffer.byteLength(id, 'utf8') > MAX_ID_BYTES) {
    throw new TopicError('ID_INVALID', `${what} "${id.slice(0, 32)}…" is longer than ${MAX_ID_BYTES} bytes`);
  }
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c === 43 || c === 35) throw new TopicError('ID_INVALID', `${what} "${id}" must not contain the wildcard "${id[i]}"`);
    if (c === 47) throw new TopicError('ID_INVALID', `${what} "${id}" must not contain "/"`);
    if (c < 0x20 || c === 0x7f) throw new TopicError('ID_INVALID', `${what} must not contain control character 0x${c.toString(16).padStart(2, '0')}`);
  }
  if (!id.isWellFormed()) throw new TopicError('ID_INVALID', `${what} is not well-formed UTF-8`);
}

/** Boolean form of validateId. */
export function isValidId(id: unknown): id is string {
  try {
    validateId(id, 'id');
    return true;
  } catch {
    return false;
  }
}
