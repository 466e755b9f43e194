import { CausewayError, type Logger } from '@causeway/shared';
import { BytePacer, sleep } from './byte-pacer.js';
import type { ChunkSource } from './chunk-source.js';

interface Body {
  sha256: string;
  /** the content offset of the next byte the body gives */
  pos: number;
  /** the offset just past the last byte asked for: the body ends there */
  end: number;
  reader: ReadableStreamDefaultReader<Uint8Array>;
  /** bytes read from the body and not yet handed out */
  buffered: Buffer;
  ac: AbortController;
}

/** The most chunks asked for in one range request, unless the constructor says otherwise. */
export const WINDOW_CHUNKS = 4;

/** HTTP statuses that asking again will not change: the job fails with the cloud's reason. */
const REFUSALS = new Set([400, 401, 403, 404, 410, 416]);

/**
 * Chunks over HTTP (issue 17, `files.transport http`): `GET /v1/gateway/artifacts/{sha256}` with
 * `Range: bytes={offset}-{offset + window - 1}`, a window of `windowChunks` chunks (default
 * WINDOW_CHUNKS; fewer when that is more than a second of `maxBytesPerSecond`, never less than one: on
 * a slow link a window is a burst that telemetry waits behind), read chunk by chunk as the installer
 * asks (paced by `maxBytesPerSecond`), and the next
 * window asked for only when the installer gets there, on the same keep-alive connection. Bounded, not
 * open-ended (`bytes={offset}-`): TCP flow control holds the cloud back only once the socket buffers are
 * full, several MiB on Linux, so an open-ended body had the whole artifact sent at link speed past the
 * pacer, and a kill -9 threw away everything in those buffers to be sent again (edge e2e 33 saw 5 MiB of
 * an 8 MiB artifact served twice). Now at most a window is in flight: that is what the link carries
 * faster than the pace, and what a cut or a kill can cost. When the body breaks (a link cut) or stalls
 * for `timeoutMs`, the next ask opens a new request from the first byte not yet handed out, which is
 * where the installer's verified bytes on disk end: a download resumes, never restarts from zero.
 * Authenticated with HTTP Basic, the gateway's MQTT id and secret; the secret is never in the URL or a
 * log line.
 */
export class HttpChunkSource implements ChunkSource {
  readonly #pacer: BytePacer;
  #body: Body | undefined;
  readonly #auth: string;
  /** where the last window this source read to its end ended: a request from there continues, it does not resume */
  #continues: { sha256: string; pos: number } | undefined;
  /**
   * requests made; those that resumed a download past byte 0 (after a break, or first in this process:
   * a restart), not the next window of one going on; bytes received; requests retried after a failure
   */
  readonly counters = { httpRequests: 0, httpRangeResumes: 0, httpBytes: 0, httpRetries: 0 };

  constructor(
    private readonly o: { baseUrl: string; username: string; password: string; timeoutMs: number; maxBytesPerSecond: number; logger: Logger; retryMaxMs?: number; windowChunks?: number },
  ) {
    this.#pacer = new BytePacer(o.maxBytesPerSecond);
    this.#auth = `Basic ${Buffer.from(`${o.username}:${o.password}`).toString('base64')}`;
  }

  #close(): void {
    this.#body?.ac.abort();
    this.#body = undefined;
  }

  async #open(sha256: string, offset: number, bytes: number): Promise<Body> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new CausewayError('FILE_HTTP_TIMEOUT', `no answer within ${this.o.timeoutMs} ms`)), this.o.timeoutMs);
    this.counters.httpRequests++;
    if (offset > 0 && !(this.#continues?.sha256 === sha256 && this.#continues.pos === offset)) this.counters.httpRangeResumes++;
    this.#continues = undefined;
    try {
      const url = `${this.o.baseUrl.replace(/\/+$/, '')}/v1/gateway/artifacts/${sha256}`;
      // The last window may reach past the end: the cloud clips it to the size [RFC 9110 §14.1.2].
      const res = await fetch(url, { headers: { authorization: this.#auth, range: `bytes=${offset}-${offset + bytes - 1}` }, signal: ac.signal });
      if (REFUSALS.has(res.status)) {
        const text = await res.text().catch(() => '');
        let detail = text.slice(0, 200);
        try {
          const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
          if (e !== undefined) detail = `${e.code ?? ''}: ${e.message ?? ''}`;
        } catch {
          // not JSON: the text as it came
        }
        throw new CausewayError('CHUNK_REFUSED', `the cloud refused ${sha256.slice(0, 12)}… over HTTP (${res.status}): ${detail}`);
      }
      const range = res.status === 206 ? /^bytes (\d+)-(\d+)\//.exec(res.headers.get('content-range') ?? '') : null;
      const start = res.status === 206 ? Number(range?.[1]) : res.status === 200 ? 0 : NaN;
      if (start !== offset || res.body === null) throw new CausewayError('FILE_HTTP_ANSWER', `asked from byte ${offset}, got HTTP ${res.status} ${res.headers.get('content-range') ?? ''}`);
      // A 200 (a cloud that ignored the Range) from byte 0 is the whole: read on as far as it goes.
      const end = range === null ? Infinity : Number(range[2]) + 1;
      return { sha256, pos: offset, end, reader: res.body.getReader(), buffered: Buffer.alloc(0), ac };
    } catch (err) {
      ac.abort();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** How much one request asks for, in whole chunks of `chunk` bytes: see the class comment. */
  #windowBytes(chunk: number): number {
    const most = Math.max(1, this.o.windowChunks ?? WINDOW_CHUNKS);
    const paced = this.o.maxBytesPerSecond > 0 ? Math.max(1, Math.floor(this.o.maxBytesPerSecond / chunk)) : most;
    return chunk * Math.min(most, paced);
  }

  /** `len` bytes from the open body, or throws when it ends early, breaks or stalls for timeoutMs. */
  async #read(b: Body, len: number): Promise<Buffer> {
    const parts: Buffer[] = [b.buffered];
    let have = b.buffered.length;
    while (have < len) {
      const timer = setTimeout(() => b.ac.abort(new CausewayError('FILE_HTTP_TIMEOUT', `no bytes for ${this.o.timeoutMs} ms`)), this.o.timeoutMs);
      let r: Awaited<ReturnType<Body['reader']['read']>>;
      try {
        r = await b.reader.read();
      } finally {
        clearTimeout(timer);
      }
      if (r.done) throw new CausewayError('FILE_HTTP_ANSWER', `the body ended at byte ${b.pos + have}`);
      const chunk = Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
      this.counters.httpBytes += chunk.length;
      parts.push(chunk);
      have += chunk.length;
    }
    const all = Buffer.concat(parts, have);
    b.buffered = all.subarray(len);
    b.pos += len;
    return all.subarray(0, len);
  }

  async fetch(sha256: string, _index: number, expectBytes: number, signal: AbortSignal, offset: number): Promise<{ data: Buffer; asks: number }> {
    await this.#pacer.take(expectBytes, signal);
    const onAbort = (): void => this.#close();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (let asks = 1; ; asks++) {
        if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new CausewayError('FILE_ABORTED', 'download stopped');
        try {
          if (this.#body === undefined || this.#body.sha256 !== sha256 || this.#body.pos !== offset || offset + expectBytes > this.#body.end) {
            const done = this.#body !== undefined && this.#body.sha256 === sha256 && this.#body.pos === offset && this.#body.pos === this.#body.end;
            // A window read to its end is finished, not broken: dropped without an abort, so its
            // connection goes back to the pool for the next window.
            if (done) this.#body = undefined;
            else this.#close();
            if (done) this.#continues = { sha256, pos: offset };
            this.#body = await this.#open(sha256, offset, this.#windowBytes(expectBytes));
          }
          return { data: await this.#read(this.#body, expectBytes), asks };
        } catch (err) {
          this.#close();
          if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new CausewayError('FILE_ABORTED', 'download stopped');
          if (err instanceof CausewayError && err.code === 'CHUNK_REFUSED') throw err;
          this.counters.httpRetries++;
          const waitMs = Math.min(this.o.retryMaxMs ?? 5000, 250 * 2 ** Math.min(asks - 1, 5));
          this.o.logger.warn('artifact download interrupted; resuming with a range request', { sha256, fromByte: offset, waitMs, code: (err as CausewayError).code ?? (err as NodeJS.ErrnoException).code, err: (err as Error).message });
          await sleep(waitMs, signal);
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
}
