import { CausewayError, type Logger } from '@causeway/shared';
import { BytePacer, sleep } from './byte-pacer.js';
import type { ChunkSource } from './chunk-source.js';

interface Body {
  sha256: string;
  /** the content offset of the next byte the body gives */
  pos: number;
  reader: ReadableStreamDefaultReader<Uint8Array>;
  /** bytes read from the body and not yet handed out */
  buffered: Buffer;
  ac: AbortController;
}

/** HTTP statuses that asking again will not change: the job fails with the cloud's reason. */
const REFUSALS = new Set([400, 401, 403, 404, 410, 416]);

/**
 * Chunks over HTTP (issue 17, `files.transport http`): one `GET /v1/gateway/artifacts/{sha256}` with
 * `Range: bytes={offset}-`, read chunk by chunk as the installer asks (paced by `maxBytesPerSecond`: the
 * socket is read no faster, so TCP slows the cloud down and telemetry keeps its share). When the body
 * breaks (a link cut) or stalls for `timeoutMs`, the next ask opens a new request from the first byte
 * not yet handed out, which is where the installer's verified bytes on disk end: a download resumes,
 * never restarts from zero. Authenticated with HTTP Basic, the gateway's MQTT id and secret; the secret
 * is never in the URL or a log line.
 */
export class HttpChunkSource implements ChunkSource {
  readonly #pacer: BytePacer;
  #body: Body | undefined;
  readonly #auth: string;
  /** requests made, those that resumed past byte 0, bytes received, requests retried after a failure */
  readonly counters = { httpRequests: 0, httpRangeResumes: 0, httpBytes: 0, httpRetries: 0 };

  constructor(
    private readonly o: { baseUrl: string; username: string; password: string; timeoutMs: number; maxBytesPerSecond: number; logger: Logger; retryMaxMs?: number },
  ) {
    this.#pacer = new BytePacer(o.maxBytesPerSecond);
    this.#auth = `Basic ${Buffer.from(`${o.username}:${o.password}`).toString('base64')}`;
  }

  #close(): void {
    this.#body?.ac.abort();
    this.#body = undefined;
  }

  async #open(sha256: string, offset: number): Promise<Body> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new CausewayError('FILE_HTTP_TIMEOUT', `no answer within ${this.o.timeoutMs} ms`)), this.o.timeoutMs);
    this.counters.httpRequests++;
    if (offset > 0) this.counters.httpRangeResumes++;
    try {
      const url = `${this.o.baseUrl.replace(/\/+$/, '')}/v1/gateway/artifacts/${sha256}`;
      const res = await fetch(url, { headers: { authorization: this.#auth, range: `bytes=${offset}-` }, signal: ac.signal });
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
      const start = res.status === 206 ? Number(/^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1]) : res.status === 200 ? 0 : NaN;
      if (start !== offset || res.body === null) throw new CausewayError('FILE_HTTP_ANSWER', `asked from byte ${offset}, got HTTP ${res.status} ${res.headers.get('content-range') ?? ''}`);
      return { sha256, pos: offset, reader: res.body.getReader(), buffered: Buffer.alloc(0), ac };
    } catch (err) {
      ac.abort();
      throw err;
    } finally {
      clearTimeout(timer);
    }
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
          if (this.#body === undefined || this.#body.sha256 !== sha256 || this.#body.pos !== offset) {
            this.#close();
            this.#body = await this.#open(sha256, offset);
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
