import { deflateRawSync, inflateRawSync } from 'node:zlib';
import * as cborg from 'cborg';
import { DecodeError } from '../errors/decode-error.js';
import { BAIL, fastDecodeCbor } from './cbor-fast-decode.js';
import { validateEnvelope } from '../envelopes/validate.js';
import type { Envelope } from '../envelopes/types.js';
import { CODEC_CBOR, CODEC_JSON, FLAG_DEFLATE, FRAME_MAGIC, sniffFormat, type Codec, type Format } from './content-type.js';

/** Default bounds: a payload larger than this is refused before it is parsed. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024;
/** A deflated payload may not inflate past this (zip-bomb guard). */
export const DEFAULT_MAX_INFLATED_BYTES = 1024 * 1024;

// Plain RFC 8949 CBOR (deterministic encoding, no tags we invent), so any CBOR library reads it.
const CBOR_DECODE_OPTIONS = { rejectDuplicateMapKeys: true, useMaps: false, allowUndefined: false } as const;

export interface EncodeOptions {
  codec?: Codec;
  deflate?: boolean;
  /**
   * with `deflate`: bodies shorter than this go uncompressed (the frame says so per payload; default 0,
   * every body). A batch of one reading (~120 bytes of CBOR) shrinks by a byte or two for a zlib context
   * per call, tens of µs: the edge sets 256 (issue 16). The same body always gets the same frame.
   */
  deflateMinBytes?: number;
}

export interface DecodeOptions {
  maxBytes?: number;
  maxInflatedBytes?: number;
}

/**
 * Encodes an envelope. JSON without deflate is written plain (no frame) so humans can read it;
 * everything else is framed with the two-byte marker.
 *
 * @example
 * const bytes = encodeEnvelope(batch, { codec: 'cbor', deflate: true });
 */
export function encodeEnvelope(env: Envelope, opts: EncodeOptions = {}): Buffer {
  const codec = opts.codec ?? 'json';
  let deflate = opts.deflate ?? false;
  if (codec === 'json' && !deflate) return Buffer.from(JSON.stringify(env), 'utf8');
  // (cborg's Uint8Array goes into the concat below as it is: one copy, not two)
  let body: Uint8Array = codec === 'json' ? Buffer.from(JSON.stringify(env), 'utf8') : cborg.encode(env);
  if (deflate && body.length < (opts.deflateMinBytes ?? 0)) deflate = false;
  if (deflate) body = deflateRawSync(body);
  const header = Buffer.from([FRAME_MAGIC, (codec === 'json' ? CODEC_JSON : CODEC_CBOR) | (deflate ? FLAG_DEFLATE : 0)]);
  return Buffer.concat([header, body]);
}

/** Decodes the body bytes to an unvalidated JS value. Throws only DecodeError. */
export function decodeRaw(buf: Uint8Array, opts: DecodeOptions = {}): { value: unknown; format: Format } {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  if (buf.length > maxBytes) throw new DecodeError('OVERSIZED', `payload is ${buf.length} bytes, limit is ${maxBytes}`);
  const format = sniffFormat(buf);
  let body: Uint8Array = format.plain ? buf : buf.subarray(2);
  if (format.deflate) {
    const limit = opts.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES;
    try {
      body = inflateRawSync(body, { maxOutputLength: limit });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') throw new DecodeError('OVERSIZED', `deflated payload inflates past ${limit} bytes`, { cause: err });
      throw new DecodeError('MALFORMED', 'deflated payload is corrupt or truncated', { cause: err });
    }
  }
  let value: unknown;
  if (format.codec === 'json') {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch (err) {
      throw new DecodeError('MALFORMED', 'JSON payload is not valid UTF-8', { cause: err });
    }
    try {
      value = JSON.parse(text);
    } catch (err) {
      const truncated = /end of (JSON )?input|Unterminated/i.test((err as Error).message);
      throw new DecodeError(truncated ? 'TRUNCATED' : 'MALFORMED', `JSON payload does not parse: ${(err as Error).message}`, { cause: err });
    }
  } else {
    // the common shapes without cborg's tokens; anything else (and every error) is cborg's to decide
    value = fastDecodeCbor(body);
    if (value === BAIL) {
      try {
        value = cborg.decode(body, CBOR_DECODE_OPTIONS);
      } catch (err) {
        const msg = (err as Error)?.message ?? String(err);
        const truncated = /end of buffer|unexpected end|beyond|insufficient|not enough data/i.test(msg);
        throw new DecodeError(truncated ? 'TRUNCATED' : 'MALFORMED', `CBOR payload does not decode: ${msg}`, { cause: err });
      }
    }
  }
  return { value, format };
}

/** Decodes and validates an envelope. Throws only DecodeError. */
export function decodeEnvelope(buf: Uint8Array, opts: DecodeOptions = {}): Envelope {
  const { value } = decodeRaw(buf, opts);
  return validateEnvelope(value);
}

/** Non-throwing form for hot paths that count failures by reason. */
export function tryDecodeEnvelope(buf: Uint8Array, opts: DecodeOptions = {}): { ok: true; envelope: Envelope } | { ok: false; error: DecodeError } {
  try {
    return { ok: true, envelope: decodeEnvelope(buf, opts) };
  } catch (err) {
    if (err instanceof DecodeError) return { ok: false, error: err };
    return { ok: false, error: new DecodeError('MALFORMED', `unexpected decoder failure: ${(err as Error)?.message ?? String(err)}`, { cause: err }) };
  }
}
