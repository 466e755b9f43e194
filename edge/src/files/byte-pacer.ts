import { newBucket, take, type Bucket } from '../uplink/token-bucket.js';

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A download's pace (`files.maxBytesPerSecond`), whatever carries the bytes (MQTT chunks or HTTP ranges): a
 * token bucket that waits, abortably, until `bytes` may be fetched, so a download never crowds out telemetry.
 */
export class BytePacer {
  #bucket: Bucket;

  constructor(private readonly rate: number) {
    this.#bucket = newBucket(Date.now(), { rate });
  }

  async take(bytes: number, signal: AbortSignal): Promise<void> {
    for (;;) {
      const t = take(this.#bucket, Date.now(), bytes, { rate: this.rate });
      if (t.ok) {
        this.#bucket = t.bucket;
        return;
      }
      await sleep(t.waitMs, signal);
    }
  }
}
