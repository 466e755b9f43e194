import type { IUnsubscribePacket } from 'mqtt-packet';
import type { HandlerConnection } from './context.js';
import { RC } from '../reason-codes.js';

/** Removes subscriptions; v5 says per filter whether one existed [MQTT-3.11.3]. */
export async function handleUnsubscribe(conn: HandlerConnection, packet: IUnsubscribePacket): Promise<void> {
  const s = conn.session!;
  const granted: number[] = [];
  for (const filter of packet.unsubscriptions) {
    const existed = await conn.broker.unsubscribe(s, filter);
    granted.push(existed ? RC.SUCCESS : RC.NO_SUBSCRIPTION_EXISTED);
  }
  if (conn.version === 5) conn.send({ cmd: 'unsuback', messageId: packet.messageId ?? 0, granted });
  else conn.send({ cmd: 'unsuback', messageId: packet.messageId ?? 0, granted: [] });
}
