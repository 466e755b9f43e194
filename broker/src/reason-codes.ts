import { CausewayError } from '@causeway/shared';
import type { BrokerCounters } from './counters.js';

/** MQTT 5 reason codes the broker sends (§2.4). */
export const RC = Object.freeze({
  SUCCESS: 0x00,
  GRANTED_QOS_1: 0x01,
  GRANTED_QOS_2: 0x02,
  DISCONNECT_WITH_WILL: 0x04,
  NO_MATCHING_SUBSCRIBERS: 0x10,
  NO_SUBSCRIPTION_EXISTED: 0x11,
  UNSPECIFIED_ERROR: 0x80,
  MALFORMED_PACKET: 0x81,
  PROTOCOL_ERROR: 0x82,
  IMPLEMENTATION_SPECIFIC_ERROR: 0x83,
  UNSUPPORTED_PROTOCOL_VERSION: 0x84,
  CLIENT_IDENTIFIER_NOT_VALID: 0x85,
  BAD_USERNAME_OR_PASSWORD: 0x86,
  NOT_AUTHORIZED: 0x87,
  BANNED: 0x8a,
  SERVER_UNAVAILABLE: 0x88,
  SERVER_BUSY: 0x89,
  SERVER_SHUTTING_DOWN: 0x8b,
  KEEP_ALIVE_TIMEOUT: 0x8d,
  SESSION_TAKEN_OVER: 0x8e,
  TOPIC_FILTER_INVALID: 0x8f,
  TOPIC_NAME_INVALID: 0x90,
  PACKET_IDENTIFIER_NOT_FOUND: 0x92,
  RECEIVE_MAXIMUM_EXCEEDED: 0x93,
  TOPIC_ALIAS_INVALID: 0x94,
  PACKET_TOO_LARGE: 0x95,
  QUOTA_EXCEEDED: 0x97,
  PAYLOAD_FORMAT_INVALID: 0x99,
  SHARED_SUBSCRIPTIONS_NOT_SUPPORTED: 0x9e,
});

/** MQTT 3.1.1 CONNACK return codes (§3.2.2.3). */
export const CONNACK_V4 = Object.freeze({
  ACCEPTED: 0,
  UNACCEPTABLE_PROTOCOL_VERSION: 1,
  IDENTIFIER_REJECTED: 2,
  SERVER_UNAVAILABLE: 3,
  BAD_USERNAME_OR_PASSWORD: 4,
  NOT_AUTHORIZED: 5,
});

/** The one mapping of authentication failures to CONNACK codes: [v5 reason code, 3.1.1 return code]. */
export const AUTH_FAILURE_CODES = Object.freeze({
  BAD_CREDENTIALS: [0x86, 4],
  NOT_AUTHORIZED: [0x87, 5],
  BANNED: [0x8a, 5],
} as const);

type CounterName = keyof BrokerCounters;

interface Mapping {
  reasonCode: number;
  counter: CounterName;
}

const BY_CODE: Record<string, Mapping> = {
  MQTT_MALFORMED: { reasonCode: RC.MALFORMED_PACKET, counter: 'malformedPackets' },
  MQTT_PROTOCOL: { reasonCode: RC.PROTOCOL_ERROR, counter: 'protocolErrors' },
  MQTT_NOT_CONNECT_FIRST: { reasonCode: RC.PROTOCOL_ERROR, counter: 'protocolErrors' },
  MQTT_PACKET_TOO_LARGE: { reasonCode: RC.PACKET_TOO_LARGE, counter: 'oversizedPackets' },
  MQTT_TOPIC_ALIAS_INVALID: { reasonCode: RC.TOPIC_ALIAS_INVALID, counter: 'protocolErrors' },
  MQTT_RECEIVE_MAXIMUM_EXCEEDED: { reasonCode: RC.RECEIVE_MAXIMUM_EXCEEDED, counter: 'protocolErrors' },
  MQTT_SESSION_TAKEN_OVER: { reasonCode: RC.SESSION_TAKEN_OVER, counter: 'takeovers' },
  MQTT_KEEP_ALIVE_TIMEOUT: { reasonCode: RC.KEEP_ALIVE_TIMEOUT, counter: 'keepAliveTimeouts' },
  MQTT_SERVER_SHUTTING_DOWN: { reasonCode: RC.SERVER_SHUTTING_DOWN, counter: 'protocolErrors' },
  // an operator disabled the device or rotated its credentials while it was connected
  MQTT_NOT_AUTHORIZED: { reasonCode: RC.NOT_AUTHORIZED, counter: 'authFailures' },
  TOPIC_INVALID: { reasonCode: RC.TOPIC_NAME_INVALID, counter: 'invalidTopics' },
  FILTER_INVALID: { reasonCode: RC.TOPIC_FILTER_INVALID, counter: 'invalidTopics' },
};

/**
 * The one place internal errors become MQTT reason codes (and counters). Anything unknown, e.g. a
 * store failure, is an unspecified error: the client retries, nothing is acknowledged.
 */
export function reasonFor(err: unknown): Mapping {
  if (err instanceof CausewayError) {
    const m = BY_CODE[err.code];
    if (m !== undefined) return m;
    if (err.code.startsWith('STORE_')) return { reasonCode: RC.IMPLEMENTATION_SPECIFIC_ERROR, counter: 'storeErrors' };
  }
  return { reasonCode: RC.UNSPECIFIED_ERROR, counter: 'storeErrors' };
}

/** Parser errors of mqtt-packet are malformed packets, except an unknown protocol version. */
export function parserErrorCode(message: string): 'MQTT_MALFORMED' | 'MQTT_PROTOCOL' {
  return /protocol version|protocolId/i.test(message) ? 'MQTT_PROTOCOL' : 'MQTT_MALFORMED';
}
