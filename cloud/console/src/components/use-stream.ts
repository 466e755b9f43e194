import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, streamEvents } from '../api.js';

export interface Streamed<T> {
  data: T | undefined;
  error: Error | undefined;
}

/**
 * Live data pushed by the server over an event stream (read with fetch and the bearer header: the token
 * never goes into a URL), the newest `event` kept. The server coalesces (it sends at most one value per
 * interval, and only a changed one); a hidden tab closes its stream and reopens it when shown again. A
 * dropped stream reopens after `retryMs`; a refusal (4xx: a bad filter) is shown and not retried until
 * `deps` change.
 */
export function useStream<T>(path: string, event: string, deps: readonly unknown[], retryMs = 3000): Streamed<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  useEffect(() => {
    let ac: AbortController | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const open = (): void => {
      clearTimeout(timer);
      if (stopped || ac !== undefined || document.hidden) return;
      const mine = new AbortController();
      ac = mine;
      streamEvents(
        path,
        (ev, d) => {
          if (ev === event) {
            setData(d as T);
            setError(undefined);
          } else if (ev === 'error') setError(new ApiFailure(500, String(d?.code ?? 'INTERNAL'), String(d?.message ?? 'the stream reported an error')));
        },
        mine.signal,
      )
        .then(
          () => undefined,
          (err: unknown) => {
            if (mine.signal.aborted) return 'aborted';
            setError(err as Error);
            return err instanceof ApiFailure && err.status >= 400 && err.status < 500 ? 'refused' : undefined;
          },
        )
        .then((why) => {
          if (ac === mine) ac = undefined;
          if (why === undefined && !stopped) timer = setTimeout(open, retryMs);
        });
    };
    const onVisibility = (): void => {
      if (document.hidden) {
        ac?.abort();
        ac = undefined;
      } else open();
    };
    setData(undefined);
    setError(undefined);
    document.addEventListener('visibilitychange', onVisibility);
    open();
    return () => {
      stopped = true;
      clearTimeout(timer);
      ac?.abort();
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, deps);
  return { data, error };
}
