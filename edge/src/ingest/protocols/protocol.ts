import type { ReadingValue } from '@causeway/shared';
import type { DropReason } from '../drop-reason.js';

/** One named value a frame carried, before stream mapping and rules. */
export interface Field {
  name: string;
  value: ReadingValue;
  unit?: string;
}

export type ParseResult =
  | {
      ok: true;
      fields: Field[];
      /** sample time the device stated (ms since the epoch); absent → time of receipt */
      ts?: number;
      /** the device's own message number, used to fill an ACK template */
      seq?: string;
    }
  | { ok: false; reason: DropReason; detail: string };

/**
 * A device protocol: a pure function from one frame to fields, or a reason the frame is refused.
 * Parsers never throw on input; garbage is an answer, not an exception.
 */
export interface Protocol {
  readonly name: string;
  parse(frame: Buffer): ParseResult;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The frame as text, or a refusal when it is not valid UTF-8 (line noise, wrong baud rate). */
export function frameText(frame: Buffer): { ok: true; text: string } | { ok: false; reason: 'invalid-utf8'; detail: string } {
  try {
    return { ok: true, text: utf8.decode(frame) };
  } catch {
    return { ok: false, reason: 'invalid-utf8', detail: `${frame.length}-byte frame is not valid UTF-8` };
  }
}

/** Text to a number or boolean; null when it is neither (the caller drops the frame as non-numeric). */
export function parseScalar(text: string): number | boolean | null {
  const t = text.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

export function fail(reason: DropReason, detail: string): ParseResult {
  return { ok: false, reason, detail };
}
