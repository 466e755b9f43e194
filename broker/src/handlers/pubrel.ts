import type { IPubrelPacket } from 'mqtt-packet';
import type { HandlerConnection } from './context.js';
import { RC } from '../reason-codes.js';

/** QoS 2 step 3 (inbound): release the packet id; the message was stored at PUBLISH time [MQTT-4.3.3]. */
export function handlePubrel(conn: HandlerConnection, packet: IPubrelPacket): void {
  const s = conn.session!;
  const id = packet.messageId ?? 0;
  const known = s.inboundQos2.has(id) && s.inboundQos2ForChange().delete(id);
  if (conn.version === 5 && !known) conn.send({ cmd: 'pubcomp', messageId: id, reasonCode: RC.PACKET_IDENTIFIER_NOT_FOUND });
  else conn.send({ cmd: 'pubcomp', messageId: id });
}
