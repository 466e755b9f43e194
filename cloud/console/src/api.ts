/**
 * The console's only way to the cloud: the /v1 API with the operator token as a bearer header. The token
 * lives in memory and in sessionStorage (gone when the tab closes), never in a URL, a cookie or a log;
 * with no cookie there is nothing a cross-site request could ride on (no CSRF).
 */
const KEY = 'causeway.operatorToken';

let token = sessionStorage.getItem(KEY) ?? '';

export const hasToken = (): boolean => token !== '';

export function signIn(t: string): void {
  token = t.trim();
  sessionStorage.setItem(KEY, token);
}

export function signOut(): void {
  token = '';
  sessionStorage.removeItem(KEY);
}

/** An API answer other than 2xx: the API's error code and message. */
export class ApiFailure extends Error {
  override name = 'ApiFailure';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** the API's `error.details` (e.g. every bad row of a batch), when it sent one */
    readonly details?: unknown,
  ) {
    super(message);
  }
}

const listeners = new Set<() => void>();
/** Called when the API answers 401: the token is wrong or was changed; back to sign-in. */
export function onUnauthorized(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

async function failure(res: Response): Promise<ApiFailure> {
  let code = `HTTP_${res.status}`;
  let message = res.statusText;
  let details: unknown;
  try {
    const j = (await res.json()) as { error?: { code?: string; message?: string; details?: unknown } };
    code = j.error?.code ?? code;
    message = j.error?.message ?? message;
    details = j.error?.details;
  } catch {
    /* not JSON: keep the status */
  }
  if (res.status === 401) for (const l of listeners) l();
  return new ApiFailure(res.status, code, message, details);
}

export async function api<T = any>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(signal === undefined ? {} : { signal }),
    credentials: 'omit',
    cache: 'no-store',
  });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** Path segment: ids may hold any character but `/`, `+` and `#`. */
export const seg = (s: string): string => encodeURIComponent(s);

/**
 * Server-sent events over fetch (EventSource cannot send an Authorization header, and the token must not
 * go into the URL). Calls `onEvent` per event until the stream ends or `signal` aborts.
 */
export async function streamEvents(path: string, onEvent: (event: string, data: any) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal, credentials: 'omit', cache: 'no-store' });
  if (!res.ok || res.body === null) throw await failure(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let end: number;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0) onEvent(event, JSON.parse(data.join('\n')));
    }
  }
}
