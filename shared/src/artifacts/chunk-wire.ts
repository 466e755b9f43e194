import { CausewayError } from '../errors/causeway-error.js';

/**
 * Chunks over MQTT (issue 17): a gateway asks on `file-req/{gateway}/{lane}` for one chunk of one
 * artifact, the cloud answers on `file-chunk/{gateway}/{lane}`. The lane is a constant (CHUNK_LANE), not
 * an id per request: every exact topic is a light queue the store indexes for good, so a request id in
 * the topic would grow the index by one queue per chunk. The request's `nonce` matches the answer.
 * Both are ephemeral and idempotent (a lost answer is asked for again): not envelopes, not deduplicated.
 *
 * Request: JSON `{"sha256": "<artifact>", "index": n, "nonce": "…"}`.
 * Answer: `u16 header length` + JSON header `{"sha256", "index", "nonce", "error"?}` + the chunk's bytes.
 */
export const CHUNK_LANE = 'chunks';

export interface ChunkRequest {
  sha256: string;
  index: number;
  nonce: string;
}

export interface ChunkAnswer {
  sha256: string;
  index: number;
  nonce: string;
  /** the cloud could not serve it (unknown artifact, index out of range) */
  error?: { code: string; message: string };
  data: Buffer;
}

const HEX64 = /^[0-9a-f]{64}$/;

export function encodeChunkRequest(r: ChunkRequest): Buffer {
  return Buffer.from(JSON.stringify({ sha256: r.sha256, index: r.index, nonce: r.nonce }));
}

export function decodeChunkRequest(b: Buffer): ChunkRequest {
  let x: unknown;
  try {
    x = JSON.parse(b.toString('utf8'));
  } catch {
    throw new CausewayError('CHUNK_BAD_REQUEST', 'chunk request is not JSON');
  }
  const o = x as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || typeof o.sha256 !== 'string' || !HEX64.test(o.sha256) || !Number.isSafeInteger(o.index) || (o.index as number) < 0 || typeof o.nonce !== 'string' || o.nonce.length > 64) {
    throw new CausewayError('CHUNK_BAD_REQUEST', 'chunk request must be {"sha256": hex64, "index": n ≥ 0, "nonce": string}');
  }
  return { sha256: o.sha256, index: o.index as number, nonce: o.nonce };
}

export function encodeChunkAnswer(a: ChunkAnswer): Buffer {
  const head = Buffer.from(JSON.stringify({ sha256: a.sha256, index: a.index, nonce: a.nonce, ...(a.error === undefined ? {} : { error: a.error }) }));
  const len = Buffer.alloc(2);
  len.writeUInt16BE(head.length);
  return Buffer.concat([len, head, a.data]);
}

export function decodeChunkAnswer(b: Buffer): ChunkAnswer {
  if (b.length < 2) throw new CausewayError('CHUNK_BAD_ANSWER', 'chunk answer shorter than its header length');
  const n = b.readUInt16BE(0);
  if (b.length < 2 + n) throw new CausewayError('CHUNK_BAD_ANSWER', 'chunk answer shorter than its header');
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(b.subarray(2, 2 + n).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new CausewayError('CHUNK_BAD_ANSWER', 'chunk answer header is not JSON');
  }
  if (typeof h.sha256 !== 'string' || !Number.isSafeInteger(h.index)) throw new CausewayError('CHUNK_BAD_ANSWER', 'chunk answer header lacks sha256 or index');
  const e = h.error as { code?: unknown; message?: unknown } | undefined;
  return {
    sha256: h.sha256,
    index: h.index as number,
    nonce: typeof h.nonce === 'string' ? h.nonce : '',
    ...(e === undefined ? {} : { error: { code: String(e.code), message: String(e.message) } }),
    data: b.subarray(2 + n),
  };
}
