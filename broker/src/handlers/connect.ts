import { randomBytes } from 'node:crypto';
import { clip } from '@causeway/shared';
import type { IConnackPacket, IConnectPacket } from 'mqtt-packet';
import type { HandlerConnection } from './context.js';
import { ProtocolError } from '../protocol-error.js';
import { AUTH_FAILURE_CODES, CONNACK_V4, RC } from '../reason-codes.js';
import type { Session } from '../session.js';
import type { Will } from '../will.js';
import { MAX_OUTBOUND_ALIASES, OutboundTopicAliases } from '../outbound-aliases.js';

type ConnectPacket = IConnectPacket & { bridgeMode?: boolean };

function willOf(p: ConnectPacket): Will | undefined {
  const w = p.will;
  if (w === undefined || w === null) return undefined;
  const will: Will = {
    topic: w.topic,
    payload: typeof w.payload === 'string' ? Buffer.from(w.payload) : w.payload,
    qos: w.qos ?? 0,
    retain: w.retain ?? false,
    delay: w.properties?.willDelayInterval ?? 0,
  };
  const pr = w.properties;
  if (pr?.messageExpiryInterval !== undefined) will.expiry = pr.messageExpiryInterval;
  if (pr !== undefined) {
    const meta: NonNullable<Will['meta']> = {};
    if (pr.contentType !== undefined) meta.contentType = pr.contentType;
    if (pr.responseTopic !== undefined) meta.responseTopic = pr.responseTopic;
    if (pr.correlationData !== undefined) meta.correlationData = pr.correlationData;
    if (pr.payloadFormatIndicator !== undefined) meta.payloadFormatIndicator = pr.payloadFormatIndicator;
    if (pr.userProperties !== undefined) meta.userProperties = pr.userProperties;
    if (Object.keys(meta).length > 0) will.meta = meta;
  }
  return will;
}

/**
 * CONNECT: protocol 3, 4, 5, or 4|0x80 from a Mosquitto bridge (`try_private`). Opens or resumes the
 * session, takes over a live connection with the same client id, answers CONNACK, then re-sends what
 * was in flight and catches up from the stored offsets.
 */
export async function handleConnect(conn: HandlerConnection, packet: ConnectPacket): Promise<void> {
  if (conn.connected || conn.version !== 0) throw new ProtocolError('MQTT_PROTOCOL', 'second CONNECT [MQTT-3.1.0-2]');
  const b = conn.broker;
  const version = (packet.protocolVersion ?? 4) as 3 | 4 | 5;
  conn.version = version;
  conn.bridge = packet.bridgeMode === true;
  const clean = packet.clean !== false;
  const props = packet.properties ?? {};
  let clientId = packet.clientId ?? '';
  let assigned: string | undefined;
  if (clientId === '') {
    // 3.1.1 assigns an id only for a clean session [MQTT-3.1.3-8]; v5 always may [MQTT-3.1.3-6].
    if (version === 5 || (version === 4 && clean)) {
      clientId = `cw-${randomBytes(8).toString('hex')}`;
      assigned = clientId;
    } else return conn.refuse(RC.CLIENT_IDENTIFIER_NOT_VALID, CONNACK_V4.IDENTIFIER_REJECTED);
  }
  conn.clientId = clientId;
  conn.username = packet.username;
  const password = packet.password === undefined ? undefined : Buffer.isBuffer(packet.password) ? packet.password : Buffer.from(packet.password);
  const auth = await b.options.access.authenticate({
    clientId,
    remoteAddress: conn.remoteAddress,
    ...(packet.username === undefined ? {} : { username: packet.username }),
    ...(password === undefined ? {} : { password }),
    ...(conn.certificateId === undefined ? {} : { certificateId: conn.certificateId }),
    ...(conn.certificateSha256 === undefined ? {} : { certificateSha256: conn.certificateSha256 }),
  });
  if (conn.closed) return;
  if (!auth.ok) {
    b.counters.authFailures++;
    // The reason names the client and the cause, never the secret. Peer-chosen ids are clipped and the
    // line is rate-limited per cause and source: refusals cost an attacker nothing (issue 23 item 7).
    b.refusals.warn(`connect|${auth.code}|${conn.remoteAddress}`, 'connection refused', {
      clientId: clip(clientId),
      ...(packet.username === undefined ? {} : { username: clip(packet.username) }),
      remoteAddress: conn.remoteAddress,
      code: auth.code,
      reason: auth.reason,
    });
    const [v5, v4] = AUTH_FAILURE_CODES[auth.code];
    return conn.refuse(v5, v4);
  }
  conn.identity = auth.identity;

  const maxExpiry = b.options.maxSessionExpiry;
  const askedExpiry = version === 5 ? (props.sessionExpiryInterval ?? 0) : clean ? 0 : maxExpiry;
  const expiry = Math.min(askedExpiry, maxExpiry);
  if (version === 5) {
    conn.receiveMaximum = Math.min(props.receiveMaximum ?? 65535, b.options.maxOutboundInflight);
    if (props.maximumPacketSize !== undefined) conn.clientMaxPacketSize = props.maximumPacketSize;
    // The client accepts this many aliases on what we send it; 0 or absent: none [MQTT-3.1.2-26, 3.1.2-27].
    const aliasMax = Math.min(props.topicAliasMaximum ?? 0, MAX_OUTBOUND_ALIASES);
    if (aliasMax > 0) conn.outboundAliases = new OutboundTopicAliases(aliasMax);
  }
  let keepAlive = packet.keepalive ?? 0;
  let serverKeepAlive: number | undefined;
  const maxKa = b.options.maxKeepAlive;
  if (version === 5 && maxKa > 0 && (keepAlive === 0 || keepAlive > maxKa)) {
    keepAlive = maxKa;
    serverKeepAlive = maxKa; // [MQTT-3.2.2-21]
  }
  const will = willOf(packet);
  if (will !== undefined) {
    const allowed = b.options.access.canPublish(auth.identity, will.topic, conn);
    if (!allowed.allow) {
      b.counters.aclDenied++;
      b.refusals.warn(`acl|${clientId}`, 'will refused by ACL', { clientId: clip(clientId), topic: clip(will.topic), reason: allowed.reason });
      return conn.refuse(RC.NOT_AUTHORIZED, CONNACK_V4.NOT_AUTHORIZED);
    }
    conn.will = will;
  }

  // A new connection for this session cancels a will still waiting for its delay [MQTT-3.1.3-9].
  b.cancelWill(clientId);
  let session: Session | undefined = b.sessionOf(clientId);
  if (session?.link !== undefined && session.link !== conn) {
    // Takeover: the existing connection is closed [MQTT-3.1.4-3], v5 told why (0x8E). Let it finish
    // saving (or ending) the session before this one takes it.
    await b.takeOver(session, new ProtocolError('MQTT_SESSION_TAKEN_OVER', `client id ${clientId} connected again`));
    session = b.sessionOf(clientId);
  }
  let present = false;
  // Saved by another node sharing the store (JetStream): any node serves any client [issue 9].
  if (session === undefined && !clean) session = await b.loadStoredSession(clientId);
  if (conn.closed) return;
  if (session !== undefined && clean) {
    await b.discardSession(session); // [MQTT-3.1.2-4]
    session = undefined;
  }
  if (session === undefined) session = b.openSession(clientId);
  else present = true; // [MQTT-3.2.2-2]
  session.protocolVersion = version;
  session.expiryInterval = expiry;
  conn.session = session;
  if (session.persistent) await b.persistSession(session);

  const connack: IConnackPacket = { cmd: 'connack', sessionPresent: present };
  if (version === 5) {
    connack.reasonCode = RC.SUCCESS;
    const p: NonNullable<IConnackPacket['properties']> = {
      receiveMaximum: b.options.maxInflight,
      maximumPacketSize: b.options.maxPacketSize,
      topicAliasMaximum: b.options.topicAliasMaximum,
      retainAvailable: true,
      wildcardSubscriptionAvailable: true,
      subscriptionIdentifiersAvailable: true,
      sharedSubscriptionAvailable: true,
    };
    if (assigned !== undefined) p.assignedClientIdentifier = assigned;
    if (serverKeepAlive !== undefined) p.serverKeepAlive = serverKeepAlive;
    if (expiry !== askedExpiry) p.sessionExpiryInterval = expiry;
    connack.properties = p;
  } else connack.returnCode = CONNACK_V4.ACCEPTED;
  if (conn.closed) return;
  conn.send(connack);
  conn.connected = true;
  conn.setKeepAlive(keepAlive);
  b.options.access.connected?.(auth.identity, clientId);
  b.log.info('client connected', { clientId: clip(clientId), version, bridge: conn.bridge, sessionPresent: present, persistent: session.persistent });
  b.attach(session, conn);
}
