import { readFileSync } from 'node:fs';
import { CausewayError, EXIT } from '@causeway/shared';

/** Where the CLI finds the API and its token: flags, then environment, then the defaults. */
export interface ClientOptions {
  url: string;
  token: string;
}

export function clientOptions(flags: { url?: string | undefined; token?: string | undefined; tokenFile?: string | undefined }, env: NodeJS.ProcessEnv): ClientOptions {
  const url = flags.url ?? env.CAUSEWAY_API_URL ?? 'http://127.0.0.1:8080';
  let token = flags.token ?? (env.CAUSEWAY_TOKEN || undefined);
  const file = flags.tokenFile ?? env.CAUSEWAY_TOKEN_FILE;
  if (token === undefined && file !== undefined) {
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch (err) {
      // Say where the token is: the cloud writes it on first start (issue 24).
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
      throw new CausewayError('USAGE', `cannot read the token file ${file}: ${why}; causeway-cloud writes the operator token to <store.path>/operator-token on first start (or set api.operatorToken)`, { cause: err });
    }
  }
  if (token === undefined || token === '') {
    throw new CausewayError('USAGE', 'no operator token: pass --token-file <store.path>/operator-token (written by causeway-cloud on first start), --token, or set CAUSEWAY_TOKEN / CAUSEWAY_TOKEN_FILE');
  }
  return { url: url.replace(/\/$/, ''), token };
}

/**
 * The API refused a request. Its exit code says why (sysexits): 77 no permission (token), 65 the request
 * was wrong (unknown id, invalid config), 69 the service is unavailable, 70 the server failed.
 */
export class ApiRefusedError extends CausewayError {
  override name = 'ApiRefusedError';
  readonly exitCode: number;

  constructor(readonly status: number, code: string, message: string, readonly details?: unknown) {
    super(code, message);
    this.exitCode = status === 401 || status === 403 ? EXIT.NOPERM : status === 503 ? EXIT.UNAVAILABLE : status < 500 ? EXIT.DATAERR : EXIT.SOFTWARE;
  }
}

/** A thin JSON client of the /v1 API; a non-2xx answer becomes a CausewayError with the API's code. */
export class ApiClient {
  #opts: ClientOptions | (() => ClientOptions);

  /** Options may be given lazily, so `--help` and usage mistakes need no token. */
  constructor(opts: ClientOptions | (() => ClientOptions)) {
    this.#opts = opts;
  }

  get opts(): ClientOptions {
    if (typeof this.#opts === 'function') this.#opts = this.#opts();
    return this.#opts;
  }

  async call<T = any>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.opts.url + path, {
        method,
        headers: { authorization: `Bearer ${this.opts.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (err) {
      throw new CausewayError('IO_API_UNREACHABLE', `cannot reach the Causeway API at ${this.opts.url}: ${(err as Error).message}`, { cause: err });
    }
    const text = await res.text();
    let json: any;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch (err) {
      // A proxy's HTML error page, not the API: one line, not a SyntaxError stack.
      throw new CausewayError('IO_API_BAD_RESPONSE', `${this.opts.url} answered ${method} ${path} with HTTP ${res.status} and no JSON (is --url the Causeway API?)`, { cause: err });
    }
    if (!res.ok) {
      const e = json?.error as { code?: string; message?: string; details?: unknown } | undefined;
      throw new ApiRefusedError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? `HTTP ${res.status}`, e?.details);
    }
    return json as T;
  }

  /** PUTs a file as the raw request body (an artifact's content), streamed. */
  async upload<T = any>(path: string, file: string, signal?: AbortSignal): Promise<T> {
    const { createReadStream } = await import('node:fs');
    const { Readable } = await import('node:stream');
    let res: Response;
    try {
      res = await fetch(this.opts.url + path, {
        method: 'PUT',
        headers: { authorization: `Bearer ${this.opts.token}`, 'content-type': 'application/octet-stream' },
        body: Readable.toWeb(createReadStream(file)) as unknown as ReadableStream,
        duplex: 'half',
        ...(signal === undefined ? {} : { signal }),
      } as RequestInit);
    } catch (err) {
      throw new CausewayError('IO_API_UNREACHABLE', `cannot upload to the Causeway API at ${this.opts.url}: ${(err as Error).message}`, { cause: err });
    }
    const json = (await res.json().catch(() => undefined)) as any;
    if (!res.ok) {
      const e = json?.error as { code?: string; message?: string } | undefined;
      throw new ApiRefusedError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? `HTTP ${res.status}`);
    }
    return json as T;
  }

  /** Opens a server-sent-events stream and yields each event's data as parsed JSON. */
  async *events(path: string, signal?: AbortSignal): AsyncGenerator<any> {
    let res: Response;
    try {
      res = await fetch(this.opts.url + path, { headers: { authorization: `Bearer ${this.opts.token}` }, ...(signal === undefined ? {} : { signal }) });
    } catch (err) {
      if (signal?.aborted) return;
      throw new CausewayError('IO_API_UNREACHABLE', `cannot reach the Causeway API at ${this.opts.url}: ${(err as Error).message}`, { cause: err });
    }
    if (!res.ok || res.body === null) {
      const e = ((await res.json().catch(() => undefined)) as { error?: unknown } | undefined)?.error as { code?: string; message?: string } | undefined;
      throw new ApiRefusedError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? `stream refused: HTTP ${res.status}`);
    }
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        if (data !== '') yield JSON.parse(data);
      }
    }
  }
}
