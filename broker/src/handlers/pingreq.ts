import type { HandlerConnection } from './context.js';

/** [MQTT-3.12.4-1] */
export function handlePingreq(conn: HandlerConnection): void {
  conn.send({ cmd: 'pingresp' });
}
