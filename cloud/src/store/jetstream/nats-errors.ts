/** JetStream API error: a compare-and-set (KV update/create, expected last sequence) lost to another writer. */
export const WRONG_LAST_SEQUENCE = 10071;

/** JetStream API error code of a failed request (`err_code`, e.g. 10071 wrong last sequence), if any. */
export function apiErrorCode(err: unknown): number | undefined {
  const api = (err as { api_error?: { err_code?: number } } | null)?.api_error;
  return typeof api?.err_code === 'number' ? api.err_code : undefined;
}

/**
 * Resolves when `ready()` holds, re-checked whenever a waker in `wakers` is called (and every 50 ms in
 * case nothing calls one); rejects after `timeoutMs` naming `what`.
 */
export function waitUntil(ready: () => boolean, timeoutMs: number, what: string, wakers: Set<() => void>): Promise<void> {
  if (ready()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      clearTimeout(timer);
      clearInterval(poll);
      wakers.delete(check);
      if (err === undefined) resolve();
      else reject(err);
    };
    const check = (): void => {
      if (ready()) done();
    };
    const timer = setTimeout(() => done(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    const poll = setInterval(check, 50);
    wakers.add(check);
  });
}

/** JetStream API error "JetStream system temporarily unavailable" (a stream or the meta group without a leader). */
const JS_TEMPORARILY_UNAVAILABLE = 10008;

/**
 * Whether a failed JetStream publish may succeed if sent again shortly: the stream has no leader right now
 * (no responders, 503), the request timed out (a re-election in progress, or the connection is
 * reconnecting), or the server said so. A timed-out publish may have committed: sending it again can write
 * a second record (a duplicate, never a loss) [issue 23].
 */
export function isTransientPublishError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === '503' || code === 'TIMEOUT' || code === '408' || code === 'DISCONNECT') return true;
  const api = (err as { api_error?: { code?: number; err_code?: number } } | null)?.api_error;
  return api?.err_code === JS_TEMPORARILY_UNAVAILABLE || api?.code === 503;
}
