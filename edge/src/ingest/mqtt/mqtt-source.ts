import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { type ReadingValue, type Logger, matchTopic, isValidId, findUnsafeKey } from '@causeway/shared';
import { type IngestCounters, type SourceCounters, countDrop, sourceCounters } from '../counters.js';
import { frameText, parseScalar } from '../protocols/protocol.js';
import type { StreamProcessor } from '../stream-processor.js';
import { fillTopicTemplate, readJsonPath } from './json-path.js';
import { InOrderAcks } from './in-order-acks.js';

/** Given to MQTT.js's handleMessage callback: it then reads on and skips its own PUBACK (we send it, in order). */
const HELD = new Error('PUBACK held for in-order release');

/** MQTT.js's packet writer; its own publish handler calls it the same way to send a PUBACK. */
type PacketWriter = { _sendPacket(packet: { cmd: 'puback'; messageId: number }): void };

export interface MqttSourceMapping {
  /** topic filter on the local broker, wildcards allowed */
  topic: string;
  /** device id, may use `{n}` for topic level n: `sensors/{2}` style templates */
  device: string;
  stream: string;
  /** JSON path to the value; "" when the payload is the bare value (`21.5`) */
  path?: string;
  unit?: string;
  /** 0 or 1; with 1 the PUBACK goes out only after the sink has the reading */
  qos?: 0 | 1;
}

export interface MqttSourceOptions {
  url: string;
  clientId?: string;
  username?: string;
  password?: string;
  mappings: readonly MqttSourceMapping[];
  processor: StreamProcessor;
  counters: IngestCounters;
  logger: Logger;
  now?: () => number;
  /** commands to MQTT sensors: `{device}` is replaced (e.g. `sensors/{device}/cmd`); empty: none */
  commandTopic?: string;
  /** where sensors answer (e.g. `sensors/{device}/reply`), one `{device}` level; empty: none */
  replyTopic?: string;
  /** a sensor answered a command */
  onReply?: (device: string, reply: string) => void;
}

export interface MqttSource {
  /** devices this source has heard from (readings or replies) */
  readonly devices: ReadonlySet<string>;
  /** publishes a command line to a sensor on commandTopic; false when commands are not configured or the link is down */
  sendCommand(device: string, line: string): boolean;
  stop(): Promise<void>;
}

/** `sensors/{device}/reply` → the filter `sensors/+/reply` and the level that holds the device. */
export function replyFilter(template: string): { filter: string; level: number } | undefined {
  const levels = template.split('/');
  const level = levels.indexOf('{device}');
  if (level < 0 || levels.filter((l) => l === '{device}').length !== 1) return undefined;
  return { filter: levels.map((l) => (l === '{device}' ? '+' : l)).join('/'), level };
}

/** Decodes one payload to a value by the mapping: JSON first, else a bare number. */
export function valueFromPayload(payload: Buffer, path: string): { ok: true; value: ReadingValue } | { ok: false; reason: 'invalid-utf8' | 'malformed' | 'non-numeric'; detail: string } {
  const t = frameText(payload);
  if (!t.ok) return t;
  let doc: unknown;
  try {
    doc = JSON.parse(t.text);
  } catch {
    if (path !== '') return { ok: false, reason: 'malformed', detail: 'payload is not JSON' };
    const v = parseScalar(t.text);
    return v === null ? { ok: false, reason: 'non-numeric', detail: 'payload is not a number' } : { ok: true, value: v };
  }
  const unsafe = findUnsafeKey(doc); // issue 23 item 2
  if (unsafe !== undefined) return { ok: false, reason: 'malformed', detail: `payload has a forbidden key at ${unsafe}` };
  const v = readJsonPath(doc, path);
  if (v === undefined) return { ok: false, reason: 'malformed', detail: `no value at path "${path}"` };
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return { ok: true, value: v };
  return { ok: false, reason: 'non-numeric', detail: `value at "${path}" is not a number, boolean or string` };
}

/**
 * Sensors that already speak MQTT to a broker on the gateway (Zigbee2MQTT, Tasmota, a vendor box):
 * one subscription per mapping, each message turned into a reading of the mapped device and stream.
 * Counters are per mapping (`mqtt:<filter>`). MQTT.js reconnects on its own; we count the reconnects.
 */
export function startMqttSource(o: MqttSourceOptions): MqttSource {
  const log = o.logger.child({ source: 'mqtt' });
  const now = o.now ?? Date.now;
  // A fixed clientId means a persistent session: QoS 1 messages not yet acknowledged survive our restart.
  // writeCache off: mqtt-packet's 64K-buffer number cache costs ~6 MiB of heap (mqtt-uplink.ts, issue 16)
  const opts: IClientOptions = { reconnectPeriod: 1000, connectTimeout: 10_000, clean: !o.clientId, writeCache: false };
  if (o.clientId) opts.clientId = o.clientId;
  if (o.username) opts.username = o.username;
  if (o.password) opts.password = o.password;
  const client: MqttClient = mqtt.connect(o.url, opts);
  const per = o.mappings.map((m) => ({ m, c: sourceCounters(o.counters, `mqtt:${m.topic}`) }));
  const devices = new Set<string>();
  const replies = o.replyTopic ? replyFilter(o.replyTopic) : undefined;

  // One in-order PUBACK pipeline per connection: PUBACKs owed on a connection that closed are never sent
  // on the next one (the broker redelivers those messages there).
  const pipeline = (): InOrderAcks => {
    const p: InOrderAcks = new InOrderAcks((err) => {
      log.warn('a QoS 1 message was not stored; its PUBACK and later ones withheld, reconnecting so the broker redelivers', { err });
      if (acks === p) client.stream?.destroy();
    });
    return p;
  };
  let acks = pipeline();
  client.on('close', () => (acks = pipeline()));
  client.on('connect', () => {
    acks = pipeline();
    const subs: Record<string, { qos: 0 | 1 }> = {};
    for (const { m } of per) subs[m.topic] = { qos: Math.max(subs[m.topic]?.qos ?? 0, m.qos ?? 0) as 0 | 1 };
    if (replies !== undefined) subs[replies.filter] = { qos: 0 };
    client.subscribe(subs, (err) => {
      if (err) {
        log.warn('local broker subscribe failed', { err });
        return;
      }
      // counted once the SUBACK is in: from here on no message on these filters is missed
      for (const { c } of per) c.opens++;
    });
    log.info('local broker connected', { mappings: per.length });
  });
  client.on('offline', () => {
    for (const { c } of per) c.disconnects++;
  });
  client.on('error', (err) => {
    for (const { c } of per) c.openFailures++;
    log.debug('local broker error', { err });
  });

  const handleOne = async (topic: string, payload: Buffer, m: MqttSourceMapping, c: SourceCounters): Promise<void> => {
    c.frames++;
    c.bytes += payload.length;
    const device = fillTopicTemplate(m.device, topic);
    const stream = fillTopicTemplate(m.stream, topic);
    if (device === null || stream === null || !isValidId(device) || !isValidId(stream)) {
      countDrop(c, 'unmapped');
      return;
    }
    devices.add(device);
    const v = valueFromPayload(payload, m.path ?? '');
    if (!v.ok) {
      countDrop(c, v.reason);
      return;
    }
    await o.processor.process(device, [m.unit === undefined ? { stream, value: v.value } : { stream, value: v.value, unit: m.unit }], now(), c);
  };

  // "Acknowledged = stored" across the local hop: a QoS 1 message's PUBACK goes out only once the sink
  // settled it (committed, or PUBACKed by the cloud). MQTT.js would read the next packet only after its
  // PUBACK, one message per commit (~20 msg/s); instead the callback gets HELD at once, MQTT.js reads on
  // and skips its PUBACK, and InOrderAcks sends them in arrival order as messages settle (issue 16).
  client.handleMessage = (packet, done) => {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    if (replies !== undefined && matchTopic(replies.filter, packet.topic)) {
      const device = packet.topic.split('/')[replies.level]!;
      const t = frameText(payload);
      if (isValidId(device) && t.ok) {
        devices.add(device);
        o.onReply?.(device, t.text.replace(/^>/, ''));
      }
      done();
      return;
    }
    const work = per.filter(({ m }) => matchTopic(m.topic, packet.topic)).map(({ m, c }) =>
      handleOne(packet.topic, payload, m, c).catch((err: unknown) => {
        countDrop(c, 'sink-failed');
        throw err;
      }),
    );
    if (packet.qos === 0) {
      // No PUBACK to hold back: take the next message now instead of waiting for the commit.
      void Promise.all(work).catch(() => undefined);
      done();
      return;
    }
    // A failed sink withholds the PUBACK and drops the connection (in-order-acks.ts); with a fixed
    // clientId the session is persistent, so the broker redelivers on reconnect [MQTT-4.4.0-1].
    const mine = acks;
    const messageId = packet.messageId!;
    const settle = mine.add(() => {
      if (mine === acks && client.connected) (client as unknown as PacketWriter)._sendPacket({ cmd: 'puback', messageId });
    });
    Promise.all(work).then(() => settle(), (err: unknown) => settle(err ?? new Error('sink failed')));
    done(HELD);
  };

  return {
    devices,
    sendCommand(device, line) {
      if (!o.commandTopic || !client.connected || !isValidId(device)) return false;
      client.publish(o.commandTopic.replaceAll('{device}', device), line.trimEnd(), { qos: 1 });
      return true;
    },
    stop: () => new Promise<void>((resolve) => client.end(false, {}, () => resolve())),
  };
}
