import { hasWildcard, splitQueue } from '@causeway/shared';

/** Light queue of an exact topic. */
export function topicQueue(topic: string): string {
  return `t:${topic}`;
}

/** Light queue of a wildcard filter. */
export function filterQueue(filter: string): string {
  return `f:${filter}`;
}

/** The light queue a subscription filter reads from (exact topics and wildcards have their own). */
export function queueForFilter(filter: string): string {
  return hasWildcard(filter) ? filterQueue(filter) : topicQueue(filter);
}

/**
 * The first-level (server-side) queue of a topic, as stored: `q:telemetry`. The prefix keeps it apart from
 * light queues (`t:`/`f:`) whatever the first level is called; APIs show the bare name.
 */
export function firstLevelQueue(topic: string): string {
  return `q:${splitQueue(topic).queue}`;
}

/** Stored name of a server-side queue given its bare name (`telemetry` → `q:telemetry`). */
export function serverQueue(name: string): string {
  return `q:${name}`;
}

/**
 * Every queue a message on `topic` is indexed into: the server-side queues its owner's rule names (the
 * cloud: the first level, `BrokerOptions.serverQueues`), its exact-topic light queue and the light queue of
 * each active wildcard filter that matches it.
 */
export function queuesFor(topic: string, matchingWildcardFilters: readonly string[], serverQueues: readonly string[] = []): string[] {
  return [...serverQueues, topicQueue(topic), ...matchingWildcardFilters.map(filterQueue)];
}
