import { CausewayError } from '@causeway/shared';

export type ProtocolErrorCode =
  | 'MQTT_MALFORMED'
  | 'MQTT_PROTOCOL'
  | 'MQTT_NOT_CONNECT_FIRST'
  | 'MQTT_PACKET_TOO_LARGE'
  | 'MQTT_TOPIC_ALIAS_INVALID'
  | 'MQTT_RECEIVE_MAXIMUM_EXCEEDED'
  | 'MQTT_SESSION_TAKEN_OVER'
  | 'MQTT_KEEP_ALIVE_TIMEOUT'
  | 'MQTT_SERVER_SHUTTING_DOWN'
  | 'MQTT_NOT_AUTHORIZED';

/** A client broke the protocol (or the session ended for a protocol reason); closes the connection. */
export class ProtocolError extends CausewayError {
  override name = 'ProtocolError';

  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
