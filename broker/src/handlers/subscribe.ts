import type { ISubscribePacket } from 'mqtt-packet';
import { CausewayError, type QoS, clip, matchTopic } from '@causeway/shared';
import type { HandlerConnection } from './context.js';
import { ProtocolError } from '../protocol-error.js';
import { assertWellFormedUtf8 } from '../utf8.js';
import { RC, reasonFor } from '../reason-codes.js';
import { toSubscription, type Subscription } from '../subscription.js';

/**
 * SUBSCRIBE: each filter gets its own reason code; a new wildcard filter is indexed at once, so the
 * next message on a matching topic lands in its light queue. Retained messages follow the SUBACK,
 * as Retain Handling says [MQTT-3.3.1-9..11].
 */
export async function handleSubscribe(conn: HandlerConnection, packet: ISubscribePacket): Promise<void> {
  const b = conn.broker;
  const s = conn.session!;
  const subId = packet.properties?.subscriptionIdentifier;
  const granted: number[] = [];
  const retainedFor: Array<{ sub: Subscription; existed: boolean }> = [];
  for (const entry of packet.subscriptions) assertWellFormedUtf8(entry.topic, 'topic filter');
  for (const entry of packet.subscriptions) {
    const acl = b.options.access.canSubscribe(conn.identity!, entry.topic, conn);
    if (!acl.allow) {
      b.counters.aclDenied++;
      b.refusals.warn(`acl|${conn.clientId}`, 'subscription refused by ACL', { clientId: clip(conn.clientId), filter: clip(entry.topic), reason: acl.reason });
      granted.push(conn.version === 5 ? RC.NOT_AUTHORIZED : 0x80);
      continue;
    }
    try {
      const sub = toSubscription({
        filter: entry.topic,
        qos: entry.qos,
        noLocal: entry.nl === true,
        retainAsPublished: entry.rap === true,
        retainHandling: (entry.rh ?? 0) as 0 | 1 | 2,
        ...(subId === undefined ? {} : { subscriptionId: subId }),
      });
      if (sub.shareGroup !== undefined && sub.noLocal) {
        throw new ProtocolError('MQTT_PROTOCOL', 'No Local on a shared subscription [MQTT-3.8.3-4]');
      }
      const existed = await b.subscribe(s, sub);
      granted.push(sub.qos);
      retainedFor.push({ sub, existed });
    } catch (err) {
      if (err instanceof ProtocolError || !(err instanceof CausewayError)) throw err;
      const { reasonCode, counter } = reasonFor(err);
      b.counters[counter]++;
      b.log.warn('subscription refused', { clientId: conn.clientId, filter: entry.topic, code: err.code });
      granted.push(conn.version === 5 ? reasonCode : 0x80);
    }
  }
  conn.send({ cmd: 'suback', messageId: packet.messageId ?? 0, granted });
  const added = retainedFor.filter((r) => !r.existed).map((r) => r.sub.topicFilter);
  if (added.length > 0) b.options.onSubscribed?.(conn.identity!, conn.clientId, added);
  for (const { sub, existed } of retainedFor) {
    // Shared subscriptions never get retained messages [MQTT-3.8.4-?]; rh 1 only for a new one, rh 2 never.
    if (sub.shareGroup !== undefined || sub.retainHandling === 2 || (sub.retainHandling === 1 && existed)) continue;
    const msgs = await b.retainedFor(sub.topicFilter);
    for (const m of msgs.sort((x, y) => x.id - y.id)) {
      if (!matchTopic(sub.topicFilter, m.topic)) continue;
      const ids = sub.subscriptionId === undefined ? [] : [sub.subscriptionId];
      // retained on subscribe keep RETAIN=1 [MQTT-3.3.1-8]; a full in-flight window delays them, never drops them
      s.deliverRetained(m, Math.min(sub.qos, m.qos) as QoS, ids);
    }
  }
}
