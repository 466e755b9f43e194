import { TopicError } from '../errors/topic-error.js';
import { validateTopicName } from '../topics/topic-filter.js';

export type QoS = 0 | 1 | 2;

/**
 * The properties every stored record carries, after the MQ-for-MQTT mapping (RocketMQ-MQTT): the first
 * topic level is the queue, the rest travels as `mqttSecondTopic`.
 */
export interface MessageProperties {
  /** levels after the first, with a leading "/" ("telemetry/gw1/t1/temp" → "/gw1/t1/temp"); absent for a one-level topic; the whole topic when its first level is empty ("/a/b" → "/a/b", queue `_root`) */
  mqttSecondTopic?: string;
  /** QoS the message was published with; default 1 */
  qoslevel: QoS;
  /** MQTT client id of the publisher, or of the backend app that sent it */
  clientId?: string;
  /** clean session / clean start flag of the publisher's session; default true */
  cleansessionflag: boolean;
  /** the full MQTT topic */
  mqttRealTopic: string;
}

export const PROPERTY_DEFAULTS = Object.freeze({ qoslevel: 1 as QoS, cleansessionflag: true });

/**
 * The server-side queue of topics whose first level is empty (`/TopicA`, `/sensors/x`): an empty string
 * cannot name a queue, yet such topics are valid MQTT and devices in the field use them (issue 15). The
 * whole topic travels as mqttSecondTopic. See docs/wire-contract.md, "Topics with an empty first level".
 */
export const ROOT_QUEUE = '_root';

/**
 * Splits a topic into its queue (first level) and mqttSecondTopic (the rest, leading "/"). A topic with an
 * empty first level feeds `ROOT_QUEUE`, its mqttSecondTopic being the whole topic (`/a/b` → `_root`, `/a/b`).
 */
export function splitQueue(topic: string): { queue: string; mqttSecondTopic?: string } {
  const slash = topic.indexOf('/');
  if (slash < 0) return { queue: topic };
  if (slash === 0) return { queue: ROOT_QUEUE, mqttSecondTopic: topic };
  return { queue: topic.slice(0, slash), mqttSecondTopic: topic.slice(slash) };
}

/**
 * Inverse of splitQueue. In `ROOT_QUEUE` the mqttSecondTopic is the whole topic (`/a/b`); a topic whose
 * first level is literally `_root` also feeds that queue, and is named by mqttRealTopic, which wins.
 */
export function joinQueue(queue: string, mqttSecondTopic?: string): string {
  if (queue.length === 0 || queue.includes('/')) throw new TopicError('TOPIC_INVALID', `queue "${queue}" must be one non-empty level`);
  if (mqttSecondTopic === undefined || mqttSecondTopic === '') return queue;
  if (!mqttSecondTopic.startsWith('/')) {
    throw new TopicError('TOPIC_INVALID', `mqttSecondTopic "${mqttSecondTopic}" must start with "/"`);
  }
  return queue === ROOT_QUEUE ? mqttSecondTopic : queue + mqttSecondTopic;
}

/** The server-side queue a topic (or a filter's first level) feeds: its first level, `ROOT_QUEUE` when empty. */
export function queueOfFirstLevel(firstLevel: string): string {
  return firstLevel === '' ? ROOT_QUEUE : firstLevel;
}

/** Derives the properties of a message published on `topic`. */
export function propertiesFor(
  topic: string,
  opts: { qos?: QoS; clientId?: string; cleanSession?: boolean } = {},
): MessageProperties {
  validateTopicName(topic);
  const { mqttSecondTopic } = splitQueue(topic);
  const props: MessageProperties = {
    qoslevel: opts.qos ?? PROPERTY_DEFAULTS.qoslevel,
    cleansessionflag: opts.cleanSession ?? PROPERTY_DEFAULTS.cleansessionflag,
    mqttRealTopic: topic,
  };
  if (mqttSecondTopic !== undefined) props.mqttSecondTopic = mqttSecondTopic;
  if (opts.clientId !== undefined) props.clientId = opts.clientId;
  return props;
}

/** As MQTT 5 user properties (all values are strings on the wire). */
export function toUserProperties(p: MessageProperties): Record<string, string> {
  const out: Record<string, string> = {
    qoslevel: String(p.qoslevel),
    cleansessionflag: String(p.cleansessionflag),
    mqttRealTopic: p.mqttRealTopic,
  };
  if (p.mqttSecondTopic !== undefined) out.mqttSecondTopic = p.mqttSecondTopic;
  if (p.clientId !== undefined) out.clientId = p.clientId;
  return out;
}

/**
 * Reads properties back from MQTT 5 user properties or a stored record. `queue` supplies the first level
 * when `mqttRealTopic` is absent (a backend app that only set `mqttSecondTopic`). Missing qoslevel and
 * cleansessionflag take their defaults; malformed values are an error, never guessed.
 */
export function fromUserProperties(
  queue: string,
  raw: Record<string, string | string[] | undefined>,
): MessageProperties {
  const one = (k: string): string | undefined => {
    const v = raw[k];
    return Array.isArray(v) ? v[v.length - 1] : v;
  };
  const second = one('mqttSecondTopic');
  const real = one('mqttRealTopic') ?? joinQueue(queue, second);
  validateTopicName(real);
  const q = one('qoslevel');
  let qoslevel: QoS = PROPERTY_DEFAULTS.qoslevel;
  if (q !== undefined) {
    if (q !== '0' && q !== '1' && q !== '2') throw new TopicError('TOPIC_INVALID', `qoslevel must be 0, 1 or 2, got "${q}"`);
    qoslevel = Number(q) as QoS;
  }
  const c = one('cleansessionflag');
  let cleansessionflag: boolean = PROPERTY_DEFAULTS.cleansessionflag;
  if (c !== undefined) {
    if (c !== 'true' && c !== 'false') throw new TopicError('TOPIC_INVALID', `cleansessionflag must be "true" or "false", got "${c}"`);
    cleansessionflag = c === 'true';
  }
  const split = splitQueue(real);
  const props: MessageProperties = { qoslevel, cleansessionflag, mqttRealTopic: real };
  if (split.mqttSecondTopic !== undefined) props.mqttSecondTopic = split.mqttSecondTopic;
  const clientId = one('clientId');
  if (clientId !== undefined) props.clientId = clientId;
  return props;
}
