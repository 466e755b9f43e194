import { TopicError } from '../errors/topic-error.js';

/** MQTT's limit on a UTF-8 encoded topic name or filter (a two-byte length prefix). [MQTT-1.5.3] */
export const MAX_TOPIC_BYTES = 65535;

function checkCommon(kind: 'topic name' | 'topic filter', value: string, code: 'TOPIC_INVALID' | 'FILTER_INVALID'): void {
  if (typeof value !== 'string') throw new TopicError(code, `${kind} must be a string, got ${typeof value}`);
  if (value.length === 0) throw new TopicError(code, `${kind} must not be empty [MQTT-4.7.3-1]`);
  if (value.includes('\u0000')) throw new TopicError(code, `${kind} must not contain NUL [MQTT-1.5.4-2]`);
  if (Buffer.byteLength(value, 'utf8') > MAX_TOPIC_BYTES) {
    throw new TopicError(code, `${kind} is longer than ${MAX_TOPIC_BYTES} bytes`);
  }
  // A lone surrogate cannot be encoded as UTF-8; MQTT requires well-formed UTF-8. [MQTT-1.5.4-1]
  if (!value.isWellFormed()) throw new TopicError(code, `${kind} is not well-formed UTF-8 [MQTT-1.5.4-1]`);
}

/** Throws a TopicError unless `topic` is a valid topic name for PUBLISH (no wildcards). */
export function validateTopicName(topic: string): void {
  checkCommon('topic name', topic, 'TOPIC_INVALID');
  if (topic.includes('+') || topic.includes('#')) {
    throw new TopicError('TOPIC_INVALID', `topic name "${topic}" must not contain wildcards [MQTT-3.3.2-2]`);
  }
}

/** Throws a TopicError unless `filter` is a valid topic filter for SUBSCRIBE. */
export function validateTopicFilter(filter: string): void {
  checkCommon('topic filter', filter, 'FILTER_INVALID');
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      throw new TopicError('FILTER_INVALID', `"#" must be the whole last level in "${filter}" [MQTT-4.7.1-2]`);
    }
    if (level.includes('+') && level !== '+') {
      throw new TopicError('FILTER_INVALID', `"+" must occupy a whole level in "${filter}" [MQTT-4.7.1-3]`);
    }
  }
}

/** Boolean form of validateTopicName. */
export function isValidTopicName(topic: string): boolean {
  try {
    validateTopicName(topic);
    return true;
  } catch {
    return false;
  }
}

/** Boolean form of validateTopicFilter. */
export function isValidTopicFilter(filter: string): boolean {
  try {
    validateTopicFilter(filter);
    return true;
  } catch {
    return false;
  }
}

/** True when the filter contains a wildcard level. */
export function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}

/**
 * Does the (valid) topic filter match the (valid) topic name? Pure and allocation-free: it walks both
 * strings once. Wildcards at the first level do not match topics beginning with `$` [MQTT-4.7.2-1];
 * `a/#` also matches the parent `a` [MQTT-4.7.1-2].
 */
export function matchTopic(filter: string, topic: string): boolean {
  if (topic.charCodeAt(0) === 36 /* $ */ && (filter.charCodeAt(0) === 43 /* + */ || filter.charCodeAt(0) === 35 /* # */)) {
    return false;
  }
  let f = 0;
  let t = 0;
  const fl = filter.length;
  const tl = topic.length;
  while (f < fl) {
    const fc = filter.charCodeAt(f);
    if (fc === 35 /* # */) return true;
    if (fc === 43 /* + */) {
      // Consume one whole topic level (possibly empty).
      while (t < tl && topic.charCodeAt(t) !== 47) t++;
      f++;
    } else {
      // Compare literally up to the end of this filter level.
      while (f < fl && filter.charCodeAt(f) !== 47) {
        if (t >= tl || topic.charCodeAt(t) !== filter.charCodeAt(f)) return false;
        f++;
        t++;
      }
      if (t < tl && topic.charCodeAt(t) !== 47) return false;
    }
    // Both at a level end: either '/' or end of string.
    if (f >= fl) return t >= tl;
    // filter has '/': move past it.
    f++;
    if (t >= tl) {
      // Topic ended; only a trailing "#" may still match the parent level ("a/#" matches "a").
      return filter.charCodeAt(f) === 35 && f === fl - 1;
    }
    t++;
  }
  return t >= tl;
}
