import type { IPubcompPacket } from 'mqtt-packet';
import type { HandlerConnection } from './context.js';

/** QoS 2 step 4 (outbound): done; the packet id is free again. */
export function handlePubcomp(conn: HandlerConnection, packet: IPubcompPacket): void {
  const s = conn.session!;
  if (s.completed(packet.messageId ?? 0)) conn.broker.wake(s);
}
