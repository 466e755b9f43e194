import { DEFAULT_MAX_READING_BYTES } from '@causeway/shared';
import type { ReadingInput } from './sink.js';

/**
 * Issue 23 item 5: one huge value (a 5 MB stdin line, a 900 KB MQTT payload) must not reach the outbox,
 * where a batch holding it can be larger than the broker accepts and block every reading behind it.
 * Every ingest path refuses a reading larger than `ingest.maxReadingBytes` and counts it as `oversized`.
 */
export { DEFAULT_MAX_READING_BYTES };

/** Allowance for the timestamp, quality and encoding overhead of one reading. */
const FIXED_BYTES = 32;

/** What the size counts (`unit` may be absent or undefined). */
export interface ReadingShape {
  device: string;
  stream: string;
  value: ReadingInput['value'];
  unit?: string | undefined;
}

const utf8 = (s: unknown): number => (typeof s === 'string' ? Buffer.byteLength(s, 'utf8') : 0);

/**
 * The size of a reading as the limit counts it: device, stream, unit and a string value in UTF-8,
 * plus 32 bytes for the rest. Close to (never far below) what the reading adds to a batch, and cheap:
 * no encoding needed to decide.
 */
export function readingSize(r: ReadingShape): number {
  return FIXED_BYTES + utf8(r.device) + utf8(r.stream) + utf8(r.unit) + utf8(r.value);
}

/** True when a reading is over the limit (0 or less: no limit). */
export function isOversized(r: ReadingShape, maxBytes: number): boolean {
  return maxBytes > 0 && readingSize(r) > maxBytes;
}
