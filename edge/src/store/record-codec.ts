import * as cborg from 'cborg';
import { type CommandResultEnvelope, type ConfigReportedEnvelope, type Reading, type ReadingValue, type Severity, validateEnvelope, CausewayError, findUnsafeKey, validateId } from '@causeway/shared';
import type { EventInput, Priority, ReadingInput } from '../ingest/sink.js';

/**
 * The compact body stored per outbox row: CBOR arrays, no field names (a reading is ~12-20 bytes).
 * reading: [ts, value, unit|null, quality|null]; event: [ts, severity, data|null]; envelope: the
 * whole envelope (command results and config reports, which carry their own ids).
 */
export const PRIORITY_RANK: Readonly<Record<Priority, number>> = Object.freeze({ alarm: 0, telemetry: 1, bulk: 2 });
export const PRIORITY_NAMES: readonly Priority[] = ['alarm', 'telemetry', 'bulk'];

export class InvalidInputError extends CausewayError {
  override name = 'InvalidInputError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('INPUT_INVALID', message, options);
  }
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function checkId(v: unknown, what: string): asserts v is string {
  try {
    validateId(v, what);
  } catch (err) {
    throw new InvalidInputError((err as Error).message, { cause: err });
  }
}

function checkTs(v: unknown): asserts v is number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new InvalidInputError(`ts must be an integer ms since the epoch, got ${JSON.stringify(v)}`);
}

function checkPriority(v: unknown): asserts v is Priority | undefined {
  if (v !== undefined && !Object.hasOwn(PRIORITY_RANK, v as string)) throw new InvalidInputError(`priority must be alarm, telemetry or bulk, got ${JSON.stringify(v)}`);
}

/** Validates an untrusted reading (from stdin, a serial line…). Throws InvalidInputError. */
export function checkReading(r: unknown): asserts r is ReadingInput {
  if (!isObj(r)) throw new InvalidInputError('reading must be an object');
  checkId(r.device, 'device id');
  checkId(r.stream, 'stream name');
  checkTs(r.ts);
  const v = r.value;
  if (!(v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))) {
    throw new InvalidInputError('value must be a finite number, string, boolean or null');
  }
  if (r.unit !== undefined && typeof r.unit !== 'string') throw new InvalidInputError('unit must be a string when present');
  if (r.quality !== undefined && (typeof r.quality !== 'number' || !Number.isInteger(r.quality) || r.quality < 0 || r.quality > 255)) {
    throw new InvalidInputError('quality must be an integer 0..255 when present');
  }
  checkPriority(r.priority);
}

export function checkEvent(e: unknown): asserts e is EventInput {
  if (!isObj(e)) throw new InvalidInputError('event must be an object');
  checkId(e.device, 'device id');
  checkId(e.event, 'event type');
  checkTs(e.ts);
  if (!['info', 'warning', 'alarm', 'critical'].includes(e.severity as string)) throw new InvalidInputError('severity must be info, warning, alarm or critical');
  if (e.data !== undefined && !isObj(e.data)) throw new InvalidInputError('data must be an object when present');
  // the cloud refuses an envelope with such a key, so it must not enter the outbox (issue 23 item 2)
  const unsafe = findUnsafeKey(e.data, 'data');
  if (unsafe !== undefined) throw new InvalidInputError(`event has a forbidden key at ${unsafe} (__proto__, constructor and prototype are refused)`);
  checkPriority(e.priority);
}

export function encodeReadingBody(r: ReadingInput): Buffer {
  return Buffer.from(cborg.encode([r.ts, r.value, r.unit ?? null, r.quality ?? null]));
}

/** The Reading of the wire contract, `seq` being the outbox id. */
export function decodeReadingBody(seq: number, body: Uint8Array): Reading {
  const [ts, value, unit, quality] = cborg.decode(body) as [number, ReadingValue, string | null, number | null];
  const out: Reading = { seq, ts, value };
  if (unit !== null) out.unit = unit;
  if (quality !== null) out.quality = quality;
  return out;
}

export function encodeEventBody(e: EventInput): Buffer {
  return Buffer.from(cborg.encode([e.ts, e.severity, e.data ?? null]));
}

export function decodeEventBody(body: Uint8Array): { ts: number; severity: Severity; data?: Record<string, unknown> } {
  const [ts, severity, data] = cborg.decode(body) as [number, Severity, Record<string, unknown> | null];
  return data === null ? { ts, severity } : { ts, severity, data };
}

export type QueuedEnvelope = CommandResultEnvelope | ConfigReportedEnvelope;

/** Validates an envelope the command side queues; throws InvalidInputError. */
export function checkQueuedEnvelope(e: unknown, type: QueuedEnvelope['type']): asserts e is QueuedEnvelope {
  let env;
  try {
    env = validateEnvelope(e);
  } catch (err) {
    throw new InvalidInputError((err as Error).message, { cause: err });
  }
  if (env.type !== type) throw new InvalidInputError(`expected a ${type} envelope, got ${env.type}`);
}

export function encodeEnvelopeBody(e: QueuedEnvelope): Buffer {
  return Buffer.from(cborg.encode(e));
}

export function decodeEnvelopeBody(body: Uint8Array): QueuedEnvelope {
  return cborg.decode(body) as QueuedEnvelope;
}
