import type { IPubackPacket } from 'mqtt-packet';
import type { HandlerConnection } from './context.js';

/** QoS 1 delivery to the client is complete; the window opens by one. */
export function handlePuback(conn: HandlerConnection, packet: IPubackPacket): void {
  const s = conn.session!;
  // An unknown id is ignored, not fatal: it may be an ack of a message re-sent before a takeover.
  if (s.completed(packet.messageId ?? 0)) conn.broker.wake(s);
}
