import { type QoS, parseSharedSubscription, validateTopicFilter } from '@causeway/shared';
import type { SubscriptionState } from './store/contract.js';
import { queueForFilter } from './store/queue-names.js';

/** A subscription as the broker works with it: the stored state plus the derived light queue. */
export interface Subscription {
  /** as subscribed, `$share/{group}/…` included; the key within its session */
  filter: string;
  /** the filter that matches topics (without the share prefix) */
  topicFilter: string;
  /** the light queue it reads: `t:topic` or `f:filter` */
  queue: string;
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
  subscriptionId?: number;
  shareGroup?: string;
}

/** Builds a Subscription from a SUBSCRIBE entry or a stored state; throws a TopicError for a bad filter. */
export function toSubscription(s: SubscriptionState): Subscription {
  const shared = parseSharedSubscription(s.filter);
  const topicFilter = shared?.filter ?? s.filter;
  validateTopicFilter(topicFilter);
  const sub: Subscription = {
    filter: s.filter,
    topicFilter,
    queue: queueForFilter(topicFilter),
    qos: s.qos,
    noLocal: s.noLocal ?? false,
    retainAsPublished: s.retainAsPublished ?? false,
    retainHandling: s.retainHandling ?? 0,
  };
  if (s.subscriptionId !== undefined) sub.subscriptionId = s.subscriptionId;
  if (shared !== undefined) sub.shareGroup = shared.group;
  return sub;
}

export function toSubscriptionState(s: Subscription): SubscriptionState {
  const out: SubscriptionState = { filter: s.filter, qos: s.qos, noLocal: s.noLocal, retainAsPublished: s.retainAsPublished, retainHandling: s.retainHandling };
  if (s.subscriptionId !== undefined) out.subscriptionId = s.subscriptionId;
  if (s.shareGroup !== undefined) out.shareGroup = s.shareGroup;
  return out;
}
