import type { IPublishPacket } from 'mqtt-packet';
import { validateTopicName, clip } from '@causeway/shared';
import type { PublishMeta } from '../store/contract.js';
import type { PublishInput } from '../publish-input.js';
import type { HandlerConnection } from './context.js';
import { ProtocolError } from '../protocol-error.js';
import { assertWellFormedUtf8 } from '../utf8.js';
import { RC } from '../reason-codes.js';

/** Resolves a v5 Topic Alias: a name sets it, an empty name uses it [MQTT-3.3.2-12]. */
function resolveTopic(conn: HandlerConnection, packet: IPublishPacket): string {
  const alias = packet.properties?.topicAlias;
  if (alias === undefined) return packet.topic;
  if (alias === 0 || alias > conn.broker.options.topicAliasMaximum) {
    throw new ProtocolError('MQTT_TOPIC_ALIAS_INVALID', `topic alias ${alias} outside 1..${conn.broker.options.topicAliasMaximum} [MQTT-3.3.2-9]`);
  }
  if (packet.topic !== '') {
    (conn.inboundAliases ??= new Map()).set(alias, packet.topic);
    return packet.topic;
  }
  const t = conn.inboundAliases?.get(alias);
  if (t === undefined) throw new ProtocolError('MQTT_PROTOCOL', `topic alias ${alias} used before it was set`);
  return t;
}

/**
 * mqtt-packet reads a string or binary property that runs past its packet as null rather than failing:
 * such a PUBLISH is a Malformed Packet, refused before anything of it is stored.
 */
function assertPropertiesRead(p: NonNullable<IPublishPacket['properties']>): void {
  for (const [name, value] of Object.entries(p)) {
    if (value === null) throw new ProtocolError('MQTT_MALFORMED', `PUBLISH property ${name} runs past the end of the packet`);
  }
  for (const [name, value] of Object.entries(p.userProperties ?? {})) {
    if (value === null || (Array.isArray(value) && value.some((v) => v === null))) {
      throw new ProtocolError('MQTT_MALFORMED', `PUBLISH user property ${JSON.stringify(name)} runs past the end of the packet`);
    }
  }
}

function metaOf(p: IPublishPacket['properties']): PublishMeta | undefined {
  if (p === undefined) return undefined;
  assertPropertiesRead(p);
  const m: PublishMeta = {};
  if (p.contentType !== undefined) m.contentType = p.contentType;
  if (p.responseTopic !== undefined) m.responseTopic = p.responseTopic;
  if (p.correlationData !== undefined) m.correlationData = p.correlationData;
  if (p.payloadFormatIndicator !== undefined) m.payloadFormatIndicator = p.payloadFormatIndicator;
  if (p.userProperties !== undefined) m.userProperties = p.userProperties;
  return Object.keys(m).length > 0 ? m : undefined;
}

/** Answers a refused PUBLISH: v5 PUBACK/PUBREC with `reasonCode`, 3.1.1 a plain acknowledgement. */
function refusePublish(conn: HandlerConnection, packet: IPublishPacket, reasonCode: number): void {
  const id = packet.messageId ?? 0;
  const rc = conn.version === 5 ? { reasonCode } : {};
  if (packet.qos === 1) conn.ackAfter(Promise.resolve(), () => conn.send({ cmd: 'puback', messageId: id, ...rc }));
  else if (packet.qos === 2) conn.ackAfter(Promise.resolve(), () => conn.send({ cmd: 'pubrec', messageId: id, ...rc }));
}

/**
 * Inbound PUBLISH: validate, append to the log once, and acknowledge only after the append committed
 * [ack after commit]. An envelope re-sent after an edge crash keeps its id, so `clientId:id` makes the
 * second copy a no-op that is still acknowledged.
 */
export function handlePublish(conn: HandlerConnection, packet: IPublishPacket): void {
  const b = conn.broker;
  const s = conn.session!;
  const topic = resolveTopic(conn, packet);
  assertWellFormedUtf8(topic, 'topic name');
  validateTopicName(topic); // TopicError → DISCONNECT 0x90 (v5) or close (3.1.1) [MQTT-3.3.2-2]
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  const id = packet.messageId ?? 0;
  const acl = b.options.access.canPublish(conn.identity!, topic, conn);
  if (!acl.allow) {
    b.counters.aclDenied++;
    // A peer can provoke this at will: rate-limited per client (issue 23 item 7); the reason names the rule, never a secret.
    b.refusals.warn(`acl|${conn.clientId}`, 'publish refused by ACL', { clientId: clip(conn.clientId), topic: clip(topic), reason: acl.reason });
    // v5 says why (0x87); 3.1.1 has no way to, so the message is acknowledged and dropped, as Mosquitto does.
    refusePublish(conn, packet, RC.NOT_AUTHORIZED);
    return;
  }
  const who = conn.identity!;
  if (!b.admitTopic(who, topic)) {
    b.counters.queueLimitRefused++;
    b.refusals.warn(`queue-limit|${who.id}`, 'publish refused: topic quota reached (limits.maxQueuesPerGateway)', { clientId: clip(conn.clientId), topic });
    // v5 says why (0x97 Quota exceeded); 3.1.1 cannot, so acknowledged and dropped as an ACL refusal is.
    refusePublish(conn, packet, RC.QUOTA_EXCEEDED);
    return;
  }
  if (packet.qos === 2 && s.inboundQos2.has(id)) {
    // Already stored, PUBREC lost: acknowledge again, store nothing [MQTT-4.3.3-9].
    conn.ackAfter(Promise.resolve(), () => conn.send({ cmd: 'pubrec', messageId: id }));
    return;
  }
  // In flight toward us: QoS 1/2 not yet acknowledged, and QoS 2 PUBREC'd whose PUBCOMP is not sent yet,
  // since a QoS 2 publish counts until PUBCOMP [MQTT-3.3.4-9, §4.9]. Only a v5 client has agreed to our
  // Receive Maximum; a 3.1.1 client is slowed by not reading its socket instead.
  if (packet.qos > 0 && conn.version === 5 && conn.pendingInbound + s.inboundQos2.size >= b.options.maxInflight) {
    throw new ProtocolError('MQTT_RECEIVE_MAXIMUM_EXCEEDED', `more than ${b.options.maxInflight} unacknowledged QoS 1/2 publishes (Receive Maximum) [MQTT-3.3.4-9]`);
  }
  const dedupe = b.options.dedupeKey?.(conn.clientId, topic, payload);
  const dedupeKey = dedupe?.key;
  if (dedupe?.undecodable !== undefined) {
    b.counters.undecodablePayloads++;
    b.log.debug('undecodable uplink payload stored as is', { clientId: conn.clientId, topic, code: dedupe.undecodable });
  }
  const input: PublishInput = { topic, payload, qos: packet.qos, retain: packet.retain, clientId: conn.clientId, cleanSession: !s.persistent };
  const meta = metaOf(packet.properties);
  if (meta !== undefined) input.meta = meta;
  const expiry = packet.properties?.messageExpiryInterval;
  if (expiry !== undefined) input.expiresAt = Date.now() + expiry * 1000;
  const committed = b.publish(input, dedupeKey);
  if (packet.qos === 0) {
    conn.trackAppend(committed);
    committed.catch((err: unknown) => {
      b.counters.storeErrors++;
      b.log.error('QoS 0 publish not stored', { clientId: conn.clientId, topic, err });
    });
    return;
  }
  conn.pendingInbound++;
  // A client with maxInflight publishes waiting for their commits is slowed down by not reading its socket
  // (MQTT.js 5 ignores our Receive Maximum, so v5 clients are paused too).
  if (conn.pendingInbound >= b.options.maxInflight) conn.pauseReading();
  conn.ackAfter(committed, () => {
    conn.pendingInbound--;
    conn.resumeIfDrained();
    if (packet.qos === 1) conn.send({ cmd: 'puback', messageId: id });
    else {
      s.inboundQos2ForChange().add(id);
      conn.send({ cmd: 'pubrec', messageId: id });
    }
  });
}
