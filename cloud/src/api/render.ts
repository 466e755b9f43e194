import { tryDecodeEnvelope } from '@causeway/shared';
import type { RegistryEntry } from '../identity/registry/contract.js';
import type { QueueMessage } from '../queues/queue-message.js';

/** A queue message as JSON: the raw payload in base64 and, when it is a Causeway envelope, decoded. */
export function renderMessage(m: QueueMessage): Record<string, unknown> {
  const decoded = tryDecodeEnvelope(m.payload);
  return {
    queue: m.queue,
    offset: m.offset,
    messageId: m.messageId,
    topic: m.topic,
    properties: m.properties,
    createdAt: m.createdAt,
    deliveryCount: m.deliveryCount,
    payloadBase64: m.payload.toString('base64'),
    ...(decoded.ok ? { envelope: decoded.envelope } : {}),
  };
}

/** A registry entry without its secret hash. */
export function renderPrincipal(e: RegistryEntry): Record<string, unknown> {
  const { secretHash, ...rest } = e;
  return { ...rest, hasSecret: secretHash !== undefined };
}
