import type { IPubrecPacket } from 'mqtt-packet';
import type { HandlerConnection } from './context.js';
import { RC } from '../reason-codes.js';

/** QoS 2 step 2 (outbound): the client has it; answer PUBREL [MQTT-4.3.3]. */
export function handlePubrec(conn: HandlerConnection, packet: IPubrecPacket): void {
  const s = conn.session!;
  const id = packet.messageId ?? 0;
  if ((packet.reasonCode ?? 0) >= 0x80) {
    // The client refused it: the flow ends here, no PUBREL [MQTT-4.3.3].
    if (s.completed(id)) conn.broker.wake(s);
    return;
  }
  if (s.received(id)) conn.sendPubrel(id);
  else if (conn.version === 5) conn.send({ cmd: 'pubrel', messageId: id, reasonCode: RC.PACKET_IDENTIFIER_NOT_FOUND });
  else conn.sendPubrel(id);
}
