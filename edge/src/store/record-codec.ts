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
  checkReadingFields(r);
}

/**
 * The checks of checkReading but device and stream, for a reading whose device and stream passed them
 * before (record-topics.ts keeps the topics of such pairs). Throws InvalidInputError.
 */
export function checkReadingFields(r: Record<string, unknown>): asserts r is ReadingInput & Record<string, unknown> {
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

/** Longest string the direct encoder writes (ASCII only); longer ones go to cborg. */
const SHORT_TEXT = 64;

/** Scratch space for a reading body written without cborg (at most 4 items of ≤ 9 bytes or a short string). */
const scratch = Buffer.allocUnsafe(4 * 9 + 2 * (SHORT_TEXT + 9));

/**
 * A reading's body, the same bytes as `cborg.encode([ts, value, unit ?? null, quality ?? null])`, written
 * directly for what readings hold (integers, floats that need 64 bits, short ASCII strings, booleans,
 * null): cborg's tokens cost a sixth of the CPU per durable reading (bench outbox-ingest, issue 16).
 * Anything else (a float that fits 16 or 32 bits, where cborg picks the width; a long or non-ASCII
 * string) goes to cborg. record-codec.test.ts checks the bytes against cborg's.
 */
export function encodeReadingBody(r: ReadingInput): Buffer {
  let at = 1;
  scratch[0] = 0x84; // array of 4
  at = writeItem(r.ts, at);
  if (at >= 0) at = writeItem(r.value, at);
  if (at >= 0) at = writeItem(r.unit ?? null, at);
  if (at >= 0) at = writeItem(r.quality ?? null, at);
  if (at < 0) return Buffer.from(cborg.encode([r.ts, r.value, r.unit ?? null, r.quality ?? null]));
  const out = Buffer.allocUnsafe(at);
  scratch.copy(out, 0, 0, at);
  return out;
}

/** Writes one CBOR item at `at` of the scratch; returns the next offset, or -1 to leave it to cborg. */
function writeItem(v: unknown, at: number): number {
  if (v === null) {
    scratch[at] = 0xf6;
    return at + 1;
  }
  if (v === true || v === false) {
    scratch[at] = v ? 0xf5 : 0xf4;
    return at + 1;
  }
  if (typeof v === 'number') {
    // cborg: a safe integer (-0 included) is an integer; any other number a float of the smallest exact width
    if (Number.isSafeInteger(v)) return v >= 0 ? writeHead(0x00, v, at) : writeHead(0x20, -1 - v, at);
    if (Number.isNaN(v) || !Number.isFinite(v) || Math.fround(v) === v) return -1; // 16 or 32 bits: cborg decides
    scratch[at] = 0xfb;
    scratch.writeDoubleBE(v, at + 1);
    return at + 9;
  }
  if (typeof v === 'string') {
    const n = v.length;
    if (n > SHORT_TEXT) return -1;
    for (let i = 0; i < n; i++) if (v.charCodeAt(i) > 0x7f) return -1;
    at = writeHead(0x60, n, at);
    scratch.write(v, at, n, 'latin1');
    return at + n;
  }
  return -1;
}

/** A CBOR head (major type in the top 3 bits of `major`) with the smallest argument encoding, as cborg writes it. */
function writeHead(major: number, n: number, at: number): number {
  if (n < 24) {
    scratch[at] = major | n;
    return at + 1;
  }
  if (n < 0x100) {
    scratch[at] = major | 24;
    scratch[at + 1] = n;
    return at + 2;
  }
  if (n < 0x10000) {
    scratch[at] = major | 25;
    scratch.writeUInt16BE(n, at + 1);
    return at + 3;
  }
  if (n < 0x100000000) {
    scratch[at] = major | 26;
    scratch.writeUInt32BE(n, at + 1);
    return at + 5;
  }
  scratch[at] = major | 27;
  scratch.writeUInt32BE(Math.floor(n / 0x100000000), at + 1);
  scratch.writeUInt32BE(n >>> 0, at + 5);
  return at + 9;
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
