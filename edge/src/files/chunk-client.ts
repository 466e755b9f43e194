import { randomBytes } from 'node:crypto';
import { CausewayError, CHUNK_LANE, decodeChunkAnswer, encodeChunkRequest, formatTopic, type Logger } from '@causeway/shared';
import { BytePacer } from './byte-pacer.js';
import type { ChunkSource } from './chunk-source.js';

/** What the chunk client needs of the link: publish a request, hear answers, know when it (re)connects. */
export interface ChunkLink {
  /** publishes on the gateway's own link; false when it is down */
  request(topic: string, payload: Buffer): boolean;
  on(event: 'chunk', fn: (topic: string, payload: Buffer) => void): unknown;
  on(event: 'connect', fn: () => void): unknown;
  off(event: 'chunk', fn: (topic: string, payload: Buffer) => void): unknown;
  off(event: 'connect', fn: () => void): unknown;
}

/**
 * Asks the cloud for one chunk at a time over the gateway's MQTT link (file-req → file-chunk, issue 17)
 * and waits for the answer; asks again when the answer does not come within `timeoutMs` or the link
 * comes back. Paced by `maxBytesPerSecond` so telemetry keeps flowing.
 */
export class ChunkClient implements ChunkSource {
  readonly #pacer: BytePacer;
  readonly counters = { requests: 0, retries: 0, answers: 0 };

  constructor(
    private readonly o: { link: ChunkLink; gateway: string; timeoutMs: number; maxBytesPerSecond: number; logger: Logger },
  ) {
    this.#pacer = new BytePacer(o.maxBytesPerSecond);
  }

  /**
   * Resolves with the chunk's bytes and how many times it was asked for; rejects with the cloud's
   * refusal (CHUNK_REFUSED) or when `signal` aborts.
   */
  async fetch(sha256: string, index: number, expectBytes: number, signal: AbortSignal): Promise<{ data: Buffer; asks: number }> {
    await this.#pacer.take(expectBytes, signal);
    let asks = 0;
    return new Promise((resolve, reject) => {
      let nonce = '';
      let timer: NodeJS.Timeout | undefined;
      const ask = (): void => {
        clearTimeout(timer);
        nonce = randomBytes(8).toString('hex');
        asks++;
        this.counters.requests++;
        if (asks > 1) this.counters.retries++;
        this.o.link.request(formatTopic({ kind: 'file-req', gateway: this.o.gateway, reqId: CHUNK_LANE }), encodeChunkRequest({ sha256, index, nonce }));
        timer = setTimeout(ask, this.o.timeoutMs);
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.o.link.off('chunk', onChunk);
        this.o.link.off('connect', onConnect);
        signal.removeEventListener('abort', onAbort);
      };
      const onChunk = (topic: string, payload: Buffer): void => {
        let a;
        try {
          a = decodeChunkAnswer(payload);
        } catch (err) {
          this.o.logger.warn('chunk answer undecodable; dropped', { topic, err });
          return;
        }
        if (a.nonce !== nonce || a.sha256 !== sha256 || a.index !== index) return; // an answer to an older ask
        this.counters.answers++;
        cleanup();
        if (a.error !== undefined) reject(new CausewayError('CHUNK_REFUSED', `the cloud refused chunk ${index}: ${a.error.code}: ${a.error.message}`));
        else resolve({ data: a.data, asks });
      };
      // The answer to an ask sent before a link cut will not come (QoS 0): ask again at once.
      const onConnect = (): void => ask();
      const onAbort = (): void => {
        cleanup();
        reject(signal.reason instanceof Error ? signal.reason : new CausewayError('FILE_ABORTED', 'download stopped'));
      };
      if (signal.aborted) return onAbort();
      this.o.link.on('chunk', onChunk);
      this.o.link.on('connect', onConnect);
      signal.addEventListener('abort', onAbort, { once: true });
      ask();
    });
  }
}

