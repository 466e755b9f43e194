import { TopicError } from '../errors/topic-error.js';

/** Longest id segment (gateway, device, stream, group, command id) in UTF-8 bytes. */
export const MAX_ID_BYTES = 128;

/**
 * Characters an id may not contain anywhere: control characters (Unicode Cc: C0, DEL, C1) and
 * format characters (Cf: bidi embeddings/overrides U+202A–U+202E, isolates U+2066–U+2069, marks
 * U+200E/U+200F, zero-width spaces and joiners, BOM …), plus the line/paragraph separators. They are
 * invisible or reorder what an operator sees, so two ids that look the same could name different
 * gateways (issue 23 item 12).
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/** Whitespace at either end: an id that differs from another only by a space is not manageable. */
const EDGE_SPACE = /^\s|\s$/u;

/**
 * Throws a TopicError unless `id` can stand as one level of a Causeway topic: non-empty, at most
 * MAX_ID_BYTES, no MQTT wildcard (`+`, `#`), no level separator (`/`), no control, format or
 * bidi character, no leading or trailing whitespace, not `.` or `..` (a URL path normalises them
 * away, so /v1 could not address such a gateway), not starting with `$` (MQTT reserves `$` topics
 * for the server, [MQTT-4.7.2-1]; `$SYS` as an id only confuses), and well-formed UTF-8.
 * `what` names the segment in the message ("gateway id").
 */
export function validateId(id: unknown, what: string): asserts id is string {
  if (typeof id !== 'string') throw new TopicError('ID_INVALID', `${what} must be a string, got ${typeof id}`);
  if (id.length === 0) throw new TopicError('ID_INVALID', `${what} must not be empty`);
  if (Buffer.byteLength(id, 'utf8') > MAX_ID_BYTES) {
    throw new TopicError('ID_INVALID', `${what} "${printable(id.slice(0, 32))}…" is longer than ${MAX_ID_BYTES} bytes`);
  }
  if (!id.isWellFormed()) throw new TopicError('ID_INVALID', `${what} is not well-formed UTF-8`);
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c === 43 || c === 35) throw new TopicError('ID_INVALID', `${what} "${printable(id)}" must not contain the wildcard "${id[i]}"`);
    if (c === 47) throw new TopicError('ID_INVALID', `${what} "${printable(id)}" must not contain "/"`);
  }
  const bad = INVISIBLE.exec(id);
  if (bad !== null) {
    const cp = bad[0].codePointAt(0) ?? 0;
    throw new TopicError('ID_INVALID', `${what} must not contain control or format character U+${cp.toString(16).toUpperCase().padStart(4, '0')}`);
  }
  if (EDGE_SPACE.test(id)) throw new TopicError('ID_INVALID', `${what} "${id}" must not begin or end with whitespace`);
  if (id === '.' || id === '..') throw new TopicError('ID_INVALID', `${what} must not be "${id}"`);
  if (id.startsWith('$')) throw new TopicError('ID_INVALID', `${what} "${id}" must not begin with "$" (reserved by MQTT)`);
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

/** `s` with every control/format character shown as \u escape, for quoting a refused id in a message. */
function printable(s: string): string {
  return s.replace(new RegExp(INVISIBLE.source, 'gu'), (ch) => `\\u${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}
