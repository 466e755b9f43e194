import { envelopeDedupeKey } from '@causeway/shared';
import { firstLevelQueue, type BrokerOptions } from '@causeway/broker';
import { QueueCardinality } from '../identity/queue-cardinality.js';

/**
 * What makes the broker core Causeway's cloud broker (issue 14: "Causeway rules the broker must not know
 * enter through hooks"): an uplink envelope is stored once per gateway and envelope id, every message also
 * feeds the server-side queue named by its first topic level (RocketMQ-MQTT's read amplification), and a
 * gateway may create at most `maxQueuesPerGateway` light queues (issue 23 item 11).
 */
export function causewayBrokerHooks(o: { maxQueuesPerGateway: number }): Required<Pick<BrokerOptions, 'dedupeKey' | 'serverQueues' | 'admitTopic'>> {
  const cardinality = new QueueCardinality(o.maxQueuesPerGateway);
  return {
    dedupeKey: envelopeDedupeKey,
    serverQueues: (topic) => [firstLevelQueue(topic)],
    admitTopic: (who, topic) => who.role !== 'gateway' || cardinality.admit(who.id, topic),
  };
}
