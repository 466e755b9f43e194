import { CausewayError, validateId, validateTopicFilter } from '@causeway/shared';
import type { GroupMode } from './consumer-group.js';
import type { QueueMessage } from './queue-message.js';

export interface GroupSpec {
  queue: string;
  group: string;
  mode: GroupMode;
  /** mqttSecondTopic pattern, e.g. `/gw1/+/temp` */
  filter?: string;
}

/** Throws unless the queue, group and filter of `spec` are well-formed (ID_INVALID, QUEUE_BAD_FILTER, FILTER_INVALID). */
export function validateGroupSpec(spec: GroupSpec): void {
  validateId(spec.queue, 'queue name');
  validateId(spec.group, 'consumer group');
  if (spec.filter !== undefined) {
    if (!spec.filter.startsWith('/')) throw new CausewayError('QUEUE_BAD_FILTER', `filter "${spec.filter}" must start with "/" (it matches mqttSecondTopic)`);
    validateTopicFilter(spec.queue + spec.filter);
  }
}

export interface GroupPosition {
  committed: number;
  next: number;
  lag: number;
  inFlight: number;
}

/**
 * Server-side queues as the API and the control plane use them. One node: `QueueService` (cursors in this
 * process). Several nodes on JetStream: `ClusteredQueues` (cloud/src/store/jetstream/clustered-queues.ts),
 * where each group's cursor lives on one node and the others forward to it, so a clustering group hands
 * each message to one member whichever node the member talks to.
 */
export interface ServerQueues {
  /** Leases up to `max` messages; waits up to `waitMs` for the first one (long-poll). */
  pull(spec: GroupSpec, member: string, max: number, waitMs?: number, signal?: AbortSignal): Promise<QueueMessage[]>;
  ack(spec: GroupSpec, member: string, offsets: readonly number[]): Promise<number>;
  seek(spec: GroupSpec, member: string, to: { offset: number } | { time: number }): Promise<number>;
  lag(spec: GroupSpec, member?: string): Promise<GroupPosition>;
  /** Groups this node has seen. */
  groups(): GroupSpec[];
  /**
   * Whether this node runs the group (holds its lease), taking the lease when nobody holds it. Absent
   * on one node (it runs every group). Sinks run where their group runs (issue 21).
   */
  runsHere?(spec: GroupSpec): Promise<boolean>;
  /** Wakes long-polls on a queue (bare name); called after each append, local or announced by another node. */
  notify(queue: string): void;
}
