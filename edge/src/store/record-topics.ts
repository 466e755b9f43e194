import { CausewayError, formatTopic, type CommandResultEnvelope, type ConfigReportedEnvelope } from '@causeway/shared';
import type { EventInput, ReadingInput } from '../ingest/sink.js';
import { isOversized, readingSize } from '../ingest/reading-size.js';
import type { OutboxRow, ReadingFields } from './outbox-batches.js';
import { checkEvent, checkQueuedEnvelope, checkReading, checkReadingFields, encodeEnvelopeBody, encodeEventBody, encodeReadingBody, PRIORITY_RANK } from './record-codec.js';

/**
 * The four kinds of record the outbox takes, each turned into a row: validated, given its topic
 * (docs/wire-contract.md), its compact body (record-codec.ts) and its priority rank. Pure: the same
 * input gives the same row, so a test can check each kind without a database.
 */
export type NewRecord = Pick<OutboxRow, 'kind' | 'topic' | 'device' | 'stream' | 'body' | 'priority' | 'reading'>;

/** Per-record overhead counted against maxBytes on top of body and topic (row header, index entries). */
export const ROW_OVERHEAD = 48;

/** What a record costs against buffer.maxBytes. */
export function recordBytes(r: Pick<NewRecord, 'body' | 'topic'>): number {
  return r.body.length + r.topic.length + ROW_OVERHEAD;
}

/**
 * Telemetry topics by gateway, then device, then stream, of pairs that passed checkReading: formatTopic
 * builds an array and validates every level again for each reading, and validateId runs two Unicode
 * regular expressions per id (issue 16). A reading whose pair is here skips the id checks (the same
 * strings passed them) and has only its other fields checked. Nested maps, not a `${gateway}/${device}`
 * key: no string is built per reading. Bounded: cleared past TOPIC_CACHE_MAX pairs.
 */
const telemetryTopics = new Map<string, Map<string, Map<string, string>>>();
let telemetryTopicCount = 0;
const TOPIC_CACHE_MAX = 4096;

/** The topic of a pair validated before, or undefined (a key that is not such a string misses). */
function knownTopic(gateway: string, device: unknown, stream: unknown): string | undefined {
  return telemetryTopics.get(gateway)?.get(device as string)?.get(stream as string);
}

function telemetryTopic(gateway: string, device: string, stream: string): string {
  const topic = formatTopic({ kind: 'telemetry', gateway, device, stream });
  if (telemetryTopicCount >= TOPIC_CACHE_MAX) {
    telemetryTopics.clear();
    telemetryTopicCount = 0;
  }
  let byDevice = telemetryTopics.get(gateway);
  if (byDevice === undefined) telemetryTopics.set(gateway, (byDevice = new Map()));
  let byStream = byDevice.get(device);
  if (byStream === undefined) byDevice.set(device, (byStream = new Map()));
  byStream.set(stream, topic);
  telemetryTopicCount++;
  return topic;
}

/** A reading, on telemetry/{gw}/{device}/{stream}; refused past ingest.maxReadingBytes (0: no limit). */
export function readingRecord(gateway: string, reading: ReadingInput, maxReadingBytes: number): NewRecord {
  // untrusted at run time (stdin, a serial line): checked before any field is used
  const raw: unknown = reading;
  let topic = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? knownTopic(gateway, reading.device, reading.stream) : undefined;
  if (topic === undefined) {
    checkReading(raw);
    topic = telemetryTopic(gateway, reading.device, reading.stream);
  } else checkReadingFields(raw as Record<string, unknown>);
  if (isOversized(reading, maxReadingBytes)) {
    throw new CausewayError('INPUT_TOO_LARGE', `reading of ${readingSize(reading)} bytes exceeds ingest.maxReadingBytes ${maxReadingBytes}`);
  }
  // the fields exactly as decodeReadingBody gives them back from `body` (unit and quality only when set)
  // (CBOR writes -0 as the integer 0)
  const fields: ReadingFields = { ts: reading.ts, value: Object.is(reading.value, -0) ? 0 : reading.value };
  if (reading.unit !== undefined) fields.unit = reading.unit;
  if (reading.quality !== undefined) fields.quality = reading.quality;
  return { kind: 'reading', topic, device: reading.device, stream: reading.stream, body: encodeReadingBody(reading), priority: PRIORITY_RANK[reading.priority ?? 'telemetry'], reading: fields };
}

/** An event, on events/{gw}/{device}/{event}; an alarm or critical one ranks with alarms unless told. */
export function eventRecord(gateway: string, event: EventInput): NewRecord {
  checkEvent(event);
  const topic = formatTopic({ kind: 'events', gateway, device: event.device, type: event.event });
  const prio = event.priority ?? (event.severity === 'alarm' || event.severity === 'critical' ? 'alarm' : 'telemetry');
  return { kind: 'event', topic, device: event.device, stream: event.event, body: encodeEventBody(event), priority: PRIORITY_RANK[prio] };
}

/** A command result, on cmd-result/{gw}/{device}/{commandId}. */
export function resultRecord(gateway: string, result: CommandResultEnvelope): NewRecord {
  checkQueuedEnvelope(result, 'command-result');
  const topic = formatTopic({ kind: 'cmd-result', gateway, device: result.device, commandId: result.commandId });
  // Results are few, small and awaited by an operator: they rank with alarms.
  return { kind: 'envelope', topic, device: result.device, stream: result.type, body: encodeEnvelopeBody(result), priority: PRIORITY_RANK.alarm };
}

/** A config report, on config-reported/{gw}. */
export function configReportRecord(gateway: string, report: ConfigReportedEnvelope): NewRecord {
  checkQueuedEnvelope(report, 'config-reported');
  const topic = formatTopic({ kind: 'config-reported', gateway });
  return { kind: 'envelope', topic, device: gateway, stream: report.type, body: encodeEnvelopeBody(report), priority: PRIORITY_RANK.alarm };
}

/** An event the agent reports about itself (device = gateway, severity warning), stamped `now`. */
export function ownEventRecord(gateway: string, event: string, prio: 'alarm' | 'telemetry', data: Record<string, unknown>, now: number): NewRecord {
  const topic = formatTopic({ kind: 'events', gateway, device: gateway, type: event });
  const body = encodeEventBody({ device: gateway, event, severity: 'warning', ts: now, data });
  return { kind: 'event', topic, device: gateway, stream: event, body, priority: PRIORITY_RANK[prio] };
}
