import type { IDisconnectPacket } from 'mqtt-packet';
import type { HandlerConnection } from './context.js';
import { ProtocolError } from '../protocol-error.js';
import { RC } from '../reason-codes.js';

/** The client leaves. Reason 0x04 keeps the will; any other normal disconnect drops it [MQTT-3.14.4-3]. */
export function handleDisconnect(conn: HandlerConnection, packet: IDisconnectPacket): void {
  const s = conn.session!;
  const expiry = packet.properties?.sessionExpiryInterval;
  if (expiry !== undefined) {
    // A session that was to end with the connection cannot be extended here [MQTT-3.14.2-2].
    if (s.expiryInterval === 0 && expiry > 0) throw new ProtocolError('MQTT_PROTOCOL', 'session expiry set on DISCONNECT after 0 at CONNECT');
    s.expiryInterval = Math.min(expiry, conn.broker.options.maxSessionExpiry);
  }
  conn.cleanDisconnect = (packet.reasonCode ?? 0) !== RC.DISCONNECT_WITH_WILL;
  conn.close();
}
