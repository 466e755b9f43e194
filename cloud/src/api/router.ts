import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from './api-auth.js';
import { ApiError } from './http-status.js';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** parsed JSON body (POST/PATCH/PUT), {} when empty */
  body: Record<string, unknown>;
  signal: AbortSignal;
  /** who asked: the operator, or a backend app with its grants (issue 23 item 10) */
  principal: Principal;
  /** on the gateways' routes: the gateway the HTTP Basic credentials named (issue 17) */
  gateway?: string;
}

/** A handler returns a JSON-able value (sent with 200/201) or handles `res` itself and returns undefined. */
export type Handler = (ctx: RequestContext) => Promise<unknown>;

export interface RouteOptions {
  /** status of a JSON answer (default 200) */
  status?: number;
  /** a long-lived event stream: takes one of the `api.maxStreams` slots while open */
  stream?: boolean;
  /** backend apps may call it (the handler checks their grants); otherwise operator only */
  apps?: boolean;
  /** the handler reads the request body itself (an upload); `body` is {} */
  raw?: boolean;
}

export interface RouteMatch {
  handler: Handler;
  params: Record<string, string>;
  status: number;
  stream: boolean;
  apps: boolean;
  raw: boolean;
}

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
  status: number;
  stream: boolean;
  apps: boolean;
  raw: boolean;
}

/** A minimal method + path-pattern router (`/v1/devices/:id`). */
export class Router {
  readonly #routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler, opts: number | RouteOptions = {}): this {
    const o = typeof opts === 'number' ? { status: opts } : opts;
    this.#routes.push({ method, parts: pattern.split('/').filter(Boolean), handler, status: o.status ?? 200, stream: o.stream ?? false, apps: o.apps ?? false, raw: o.raw ?? false });
    return this;
  }

  match(method: string, path: string): RouteMatch | undefined {
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
      if (r.method === method) return { handler: r.handler, params, status: r.status, stream: r.stream, apps: r.apps, raw: r.raw };
    }
    if (pathMatched) throw new ApiError('API_METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`);
    return undefined;
  }
}
