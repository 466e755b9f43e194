import type { MessageProperties } from '@causeway/shared';
import type { QueueEntry } from '@causeway/broker';

/** A message as a backend app receives it from a server-side queue. */
export interface QueueMessage {
  /** bare queue name (`telemetry`) */
  queue: string;
  offset: number;
  messageId: number;
  topic: string;
  properties: MessageProperties;
  payload: Buffer;
  createdAt: number;
  /** 1 on first delivery; more after a visibility timeout expired without an ack */
  deliveryCount: number;
}

export function toQueueMessage(queue: string, e: QueueEntry, deliveryCount: number): QueueMessage {
  return {
    queue,
    offset: e.offset,
    messageId: e.message.id,
    topic: e.message.topic,
    properties: e.message.properties,
    payload: e.message.payload,
    createdAt: e.message.createdAt,
    deliveryCount,
  };
}

/**
 * The ordering key of a message: messages with the same key go to one member at a time, in order.
 * Per device: the publisher's client id (a gateway), else the first level of mqttSecondTopic.
 */
export function orderingKey(e: QueueEntry): string {
  const p = e.message.properties;
  if (p.clientId !== undefined) return p.clientId;
  const second = p.mqttSecondTopic ?? '';
  const end = second.indexOf('/', 1);
  return end < 0 ? second : second.slice(0, end);
}
