import { readFileSync } from 'node:fs';
import { CausewayError } from '../../../shared/src/errors/causeway-error.js';

/** Where the CLI finds the API and its token: flags, then environment, then the defaults. */
export interface ClientOptions {
  url: string;
  token: string;
}

export function clientOptions(flags: { url?: string | undefined; token?: string | undefined; tokenFile?: string | undefined }, env: NodeJS.ProcessEnv): ClientOptions {
  const url = flags.url ?? env.CAUSEWAY_API_URL ?? 'http://127.0.0.1:8080';
  let token = flags.token ?? env.CAUSEWAY_TOKEN;
  const file = flags.tokenFile ?? env.CAUSEWAY_TOKEN_FILE;
  if (token === undefined && file !== undefined) {
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new CausewayError('USAGE', `cannot read the token file ${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  if (token === undefined || token === '') {
    throw new CausewayError('USAGE', 'no operator token: pass --token, --token-file, or set CAUSEWAY_TOKEN / CAUSEWAY_TOKEN_FILE');
  }
  return { url: url.replace(/\/$/, ''), token };
}

/** A thin JSON client of the /v1 API; a non-2xx answer becomes a CausewayError with the API's code. */
export class ApiClient {
  constructor(readonly opts: ClientOptions) {}

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
    const json = text === '' ? undefined : (JSON.parse(text) as any);
    if (!res.ok) {
      const e = json?.error as { code?: string; message?: string } | undefined;
      throw new CausewayError(e?.code ?? `HTTP_${res.status}`, e?.message ?? `HTTP ${res.status}`);
    }
    return json as T;
  }

  /** Opens a server-sent-events stream and yields each event's data as parsed JSON. */
  async *events(path: string, signal?: AbortSignal): AsyncGenerator<any> {
    const res = await fetch(this.opts.url + path, { headers: { authorization: `Bearer ${this.opts.token}` }, ...(signal === undefined ? {} : { signal }) });
    if (!res.ok || res.body === null) throw new CausewayError(`HTTP_${res.status}`, `stream refused: HTTP ${res.status}`);
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
