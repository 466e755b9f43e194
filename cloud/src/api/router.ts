import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './http-status.js';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** parsed JSON body (POST/PATCH/PUT), {} when empty */
  body: Record<string, unknown>;
  signal: AbortSignal;
}

/** A handler returns a JSON-able value (sent with 200/201) or handles `res` itself and returns undefined. */
export type Handler = (ctx: RequestContext) => Promise<unknown>;

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
  status: number;
}

/** A minimal method + path-pattern router (`/v1/devices/:id`). */
export class Router {
  readonly #routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler, status = 200): this {
    this.#routes.push({ method, parts: pattern.split('/').filter(Boolean), handler, status });
    return this;
  }

  match(method: string, path: string): { handler: Handler; params: Record<string, string>; status: number } | undefined {
    const segs = path.split('/').filter(Boolean);
    let pathMatched = false;
    for (const r of this.#routes) {
      if (r.parts.length !== segs.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segs.length; i++) {
        const p = r.parts[i]!;
        if (p.startsWith(':')) {
          try {
            params[p.slice(1)] = decodeURIComponent(segs[i]!);
          } catch {
            ok = false;
            break;
          }
        } else if (p !== segs[i]) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      pathMatched = true;
      if (r.method === method) return { handler: r.handler, params, status: r.status };
    }
    if (pathMatched) throw new ApiError('API_METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`);
    return undefined;
  }
}
