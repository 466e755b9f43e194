import { ProtocolError } from './protocol-error.js';

/**
 * mqtt-packet decodes strings with Buffer#toString, which turns ill-formed UTF-8 into U+FFFD instead
 * of failing. A replacement character in a topic is therefore taken as ill-formed input: a Malformed
 * Packet [MQTT-1.5.4-1]. (A client that really means U+FFFD in a topic is refused too; none does.)
 */
export function assertWellFormedUtf8(value: string, what: string): void {
  if (value.includes('\uFFFD')) throw new ProtocolError('MQTT_MALFORMED', `${what} is not well-formed UTF-8 [MQTT-1.5.4-1]`);
}
