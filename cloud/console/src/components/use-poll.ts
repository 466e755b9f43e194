import { useEffect, useRef, useState } from 'preact/hooks';

export interface Polled<T> {
  data: T | undefined;
  error: Error | undefined;
  refresh: () => void;
}

/**
 * Live data by polling one request at a time: a tick that finds the previous request still running is
 * skipped (updates are coalesced, never queued), and a hidden tab does not poll. One request per page
 * view per interval, whatever the fleet size (issue 18: no per-row request storms).
 */
export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, everyMs: number, deps: readonly unknown[]): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const busy = useRef(false);
  const kick = useRef<() => void>(() => undefined);
  useEffect(() => {
    const ac = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let again = false;
    const run = async (): Promise<void> => {
      if (busy.current) {
        again = true;
        return;
      }
      busy.current = true;
      clearTimeout(timer);
      try {
        const v = await load(ac.signal);
        if (!ac.signal.aborted) {
          setData(v);
          setError(undefined);
        }
      } catch (err) {
        if (!ac.signal.aborted) setError(err as Error);
      } finally {
        busy.current = false;
        if (!ac.signal.aborted) {
          if (again) {
            again = false;
            void run();
          } else if (everyMs > 0) timer = setTimeout(tick, everyMs);
        }
      }
    };
    const tick = (): void => {
      if (document.hidden) timer = setTimeout(tick, everyMs);
      else void run();
    };
    kick.current = () => void run();
    setData(undefined);
    void run();
    return () => {
      ac.abort();
      clearTimeout(timer);
      busy.current = false;
    };
  }, deps);
  return { data, error, refresh: () => kick.current() };
}
