/**
 * What the broker counts. A plain object the broker exposes (`broker.counters`) so tests, the metrics
 * endpoint and logs read the same numbers.
 */
export interface BrokerCounters {
  connectionsOpen: number;
  connectionsTotal: number;
  connectionsRefused: number;
  packetsIn: number;
  packetsOut: number;
  publishesIn: number;
  publishesOut: number;
  /** uplink batches re-sent after a crash: acknowledged but not stored again */
  duplicatesDropped: number;
  /** payloads on Causeway uplink topics that are not a valid envelope (still stored) */
  undecodablePayloads: number;
  malformedPackets: number;
  protocolErrors: number;
  oversizedPackets: number;
  invalidTopics: number;
  takeovers: number;
  keepAliveTimeouts: number;
  /** messages skipped because a session lagged more than maxQueuedPerSession behind */
  slowConsumerDrops: number;
  /** outgoing publishes larger than the client's Maximum Packet Size, discarded [MQTT-3.1.2-25] */
  oversizedDrops: number;
  expiredDrops: number;
  willsPublished: number;
  storeErrors: number;
  /** CONNECTs refused for bad or missing credentials, banned sources or disabled devices */
  authFailures: number;
  /** publishes and subscriptions refused by the ACL */
  aclDenied: number;
  /** connections refused because their source address already had limits.maxConnectionsPerSource */
  connectionsRefusedPerSource: number;
  /** publishes refused because their gateway reached limits.maxQueuesPerGateway distinct topics */
  queueLimitRefused: number;
  /** repeated refusal log lines left out by the log throttle (issue 23 item 7) */
  logLinesSuppressed: number;
}

export function createCounters(): BrokerCounters {
  return {
    connectionsOpen: 0,
    connectionsTotal: 0,
    connectionsRefused: 0,
    packetsIn: 0,
    packetsOut: 0,
    publishesIn: 0,
    publishesOut: 0,
    duplicatesDropped: 0,
    undecodablePayloads: 0,
    malformedPackets: 0,
    protocolErrors: 0,
    oversizedPackets: 0,
    invalidTopics: 0,
    takeovers: 0,
    keepAliveTimeouts: 0,
    slowConsumerDrops: 0,
    oversizedDrops: 0,
    expiredDrops: 0,
    willsPublished: 0,
    storeErrors: 0,
    authFailures: 0,
    aclDenied: 0,
    connectionsRefusedPerSource: 0,
    queueLimitRefused: 0,
    logLinesSuppressed: 0,
  };
}
