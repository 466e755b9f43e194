import { TopicError } from '../errors/topic-error.js';
import { validateTopicFilter } from './topic-filter.js';

export interface SharedSubscription {
  group: string;
  filter: string;
}

/**
 * Parses `$share/{group}/{filter}` (MQTT 5 §4.8.2). Returns undefined for an ordinary filter and throws
 * a TopicError for a malformed shared one.
 */
export function parseSharedSubscription(filter: string): SharedSubscription | undefined {
  if (!filter.startsWith('$share/')) return undefined;
  const rest = filter.slice('$share/'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) {
    throw new TopicError('FILTER_INVALID', `shared subscription "${filter}" needs $share/{group}/{filter} [MQTT-4.8.2-1]`);
  }
  const group = rest.slice(0, slash);
  if (group.includes('+') || group.includes('#')) {
    throw new TopicError('FILTER_INVALID', `share name "${group}" must not contain wildcards [MQTT-4.8.2-2]`);
  }
  const inner = rest.slice(slash + 1);
  validateTopicFilter(inner);
  return { group, filter: inner };
}
