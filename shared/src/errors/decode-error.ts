import { CausewayError } from './causeway-error.js';

/** Reasons a decoder refuses input; each is counted separately. */
export type DecodeReason =
  | 'TRUNCATED'
  | 'OVERSIZED'
  | 'BAD_TYPE'
  | 'UNKNOWN_VERSION'
  | 'UNKNOWN_CONTENT_TYPE'
  | 'MALFORMED'
  /** a `__proto__`, `constructor` or `prototype` key (issue 23 item 2) */
  | 'UNSAFE_KEY';

/** Input bytes could not be decoded into a valid envelope. Decoders throw nothing else. */
export class DecodeError extends CausewayError {
  override name = 'DecodeError';
  readonly reason: DecodeReason;

  constructor(reason: DecodeReason, message: string, options?: { cause?: unknown }) {
    super(`DECODE_${reason}`, message, options);
    this.reason = reason;
  }
}
