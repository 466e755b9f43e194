import { DecodeError } from '../errors/decode-error.js';

/**
 * How a payload is marked so a receiver never guesses (docs/wire-contract.md §Codecs):
 * - plain JSON: the payload is UTF-8 JSON and its first non-blank byte is `{`; readable with mosquitto_sub;
 * - framed: byte 0 is FRAME_MAGIC (0xCA, never a valid first byte of UTF-8 JSON), byte 1 the format byte:
 *   bits 0-3 codec (1 JSON, 2 CBOR), bit 4 raw deflate, bits 5-7 frame version (0). The body follows.
 */
export const FRAME_MAGIC = 0xca;
export const CODEC_JSON = 1;
export const CODEC_CBOR = 2;
export const FLAG_DEFLATE = 0x10;

export type Codec = 'json' | 'cbor';

export interface Format {
  codec: Codec;
  deflate: boolean;
  /** true for a bare JSON payload without the two-byte frame */
  plain: boolean;
}

/** MQTT 5 content-type strings for each format, set on PUBLISH where the protocol allows. */
export function contentTypeOf(f: Pick<Format, 'codec' | 'deflate'>): string {
  return `application/vnd.causeway.v1+${f.codec}${f.deflate ? '+deflate' : ''}`;
}

/** Reads the format marker at the start of a payload. Throws DecodeError for anything unknown. */
export function sniffFormat(buf: Uint8Array): Format {
  if (buf.length === 0) throw new DecodeError('TRUNCATED', 'payload is empty');
  if (buf[0] === FRAME_MAGIC) {
    if (buf.length < 3) throw new DecodeError('TRUNCATED', `framed payload has ${buf.length} bytes, needs a header and a body`);
    const fb = buf[1]!;
    if (fb >> 5 !== 0) throw new DecodeError('UNKNOWN_VERSION', `frame version ${fb >> 5} is not supported`);
    if ((fb & 0x0f) !== CODEC_JSON && (fb & 0x0f) !== CODEC_CBOR) {
      throw new DecodeError('UNKNOWN_CONTENT_TYPE', `codec ${fb & 0x0f} is not known (1 JSON, 2 CBOR)`);
    }
    if ((fb & 0xe0 & ~FLAG_DEFLATE) !== 0 || (fb & 0x60) !== 0) {
      throw new DecodeError('UNKNOWN_CONTENT_TYPE', `format byte 0x${fb.toString(16)} has unknown flags`);
    }
    return { codec: (fb & 0x0f) === CODEC_JSON ? 'json' : 'cbor', deflate: (fb & FLAG_DEFLATE) !== 0, plain: false };
  }
  let i = 0;
  while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === 0x0a || buf[i] === 0x0d)) i++;
  if (buf[i] === 0x7b /* { */) return { codec: 'json', deflate: false, plain: true };
  throw new DecodeError('UNKNOWN_CONTENT_TYPE', `payload starts with byte 0x${buf[0]!.toString(16).padStart(2, '0')}: neither JSON nor a Causeway frame`);
}
