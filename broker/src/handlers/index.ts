import type { Packet } from 'mqtt-packet';
import type { HandlerConnection } from './context.js';
import { ProtocolError } from '../protocol-error.js';
import { handleConnect } from './connect.js';
import { handleDisconnect } from './disconnect.js';
import { handlePingreq } from './pingreq.js';
import { handlePuback } from './puback.js';
import { handlePubcomp } from './pubcomp.js';
import { handlePublish } from './publish.js';
import { handlePubrec } from './pubrec.js';
import { handlePubrel } from './pubrel.js';
import { handleSubscribe } from './subscribe.js';
import { handleUnsubscribe } from './unsubscribe.js';

/**
 * The one router: a handler per packet type a client may send. Returns what the handler returns: nothing
 * when it finished synchronously (most do), a promise when it has more to do; it throws what the handler
 * throws, so a connection handles a packet without making a promise for it.
 */
export function route(conn: HandlerConnection, packet: Packet): void | Promise<void> {
  if (packet.cmd !== 'connect' && !conn.connected) {
    throw new ProtocolError('MQTT_NOT_CONNECT_FIRST', `${packet.cmd} before CONNECT was accepted [MQTT-3.1.0-1]`);
  }
  switch (packet.cmd) {
    case 'connect':
      return handleConnect(conn, packet);
    case 'publish':
      return handlePublish(conn, packet);
    case 'puback':
      return handlePuback(conn, packet);
    case 'pubrec':
      return handlePubrec(conn, packet);
    case 'pubrel':
      return handlePubrel(conn, packet);
    case 'pubcomp':
      return handlePubcomp(conn, packet);
    case 'subscribe':
      return handleSubscribe(conn, packet);
    case 'unsubscribe':
      return handleUnsubscribe(conn, packet);
    case 'pingreq':
      return handlePingreq(conn);
    case 'disconnect':
      return handleDisconnect(conn, packet);
    default:
      // CONNACK, SUBACK, PINGRESP… only flow server → client; AUTH needs enhanced auth, which we do not offer.
      throw new ProtocolError('MQTT_PROTOCOL', `a client must not send ${packet.cmd}`);
  }
}
