import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import { CausewayError } from '../../../shared/src/errors/causeway-error.js';
import type { Logger } from '../../../shared/src/log/logger.js';
import { JsonError } from '../../../shared/src/errors/json-error.js';
import { parseJson } from '../../../shared/src/json/safe-json.js';
import type { DeviceRegistry } from '../identity/registry/contract.js';
import type { ServerQueues } from '../queues/contract.js';
import type { MessageLog } from '../store/contract.js';
import { ApiError, statusFor } from './http-status.js';
import { Router, type RequestContext } from './router.js';
import { deviceRoutes } from './device-routes.js';
import { queueRoutes } from './queue-routes.js';
import { controlRoutes } from './control-routes.js';
import type { CommandService } from '../control/command-service.js';
import type { ConfigService } from '../control/config-service.js';

export interface PublishRequest {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  clientId: string;
}

export interface ApiDeps {
  registry: DeviceRegistry;
  queues: ServerQueues;
  log: MessageLog;
  /** bearer token operators and backend apps present */
  operatorToken: string;
  /** HMAC key for device access tokens (POST /v1/devices/:id/token) */
  tokenKey?: Buffer;
  /** injects a message into the broker as if published (backend → device); resolves after the durable append */
  publish?: (req: PublishRequest) => Promise<void>;
  /** closes the MQTT connection of a client (a disabled device) */
  disconnect?: (clientId: string) => void;
  stats?: () => Promise<Record<string, unknown>>;
  /** commands and config (absent on a node that does not run the control plane) */
  commands?: CommandService;
  config?: ConfigService;
  logger: Logger;
  maxBodyBytes?: number;
}

function sameSecret(a: string, b: string): boolean {
  // Hash first so the comparison is constant-time whatever the lengths.
  const h = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

async function readBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new ApiError('API_TOO_LARGE', `request body is larger than ${limit} bytes`);
    chunks.push(c as Buffer);
  }
  if (size === 0) return {};
  let parsed: unknown;
  try {
    // A `__proto__`, `constructor` or `prototype` key at any depth is refused: 400 JSON_UNSAFE_KEY naming its path (issue 23 item 2).
    parsed = parseJson(Buffer.concat(chunks).toString('utf8'), 'request body');
  } catch (err) {
    if (err instanceof JsonError && err.code === 'JSON_UNSAFE_KEY') throw err;
    throw new ApiError('API_BAD_REQUEST', 'request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ApiError('API_BAD_REQUEST', 'request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * The operator and backend HTTP API, versioned under /v1 (docs/api.md). Every route but /v1/health needs
 * `Authorization: Bearer <operator token>`.
 */
export function createApiServer(deps: ApiDeps): Server {
  const router = new Router();
  router.add('GET', '/v1/health', async () => ({ ok: true }));
  deviceRoutes(router, deps);
  queueRoutes(router, deps);
  if (deps.commands !== undefined && deps.config !== undefined) controlRoutes(router, deps.commands, deps.config);
  router.add('GET', '/v1/stats', async () => ({ store: await deps.log.stats(), ...(deps.stats ? await deps.stats() : {}) }));

  const limit = deps.maxBodyBytes ?? 1024 * 1024;
  return createServer((req, res) => {
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      try {
        const m = router.match(req.method ?? 'GET', url.pathname);
        if (m === undefined) throw new ApiError('API_NOT_FOUND', `no route ${req.method} ${url.pathname}`);
        if (url.pathname !== '/v1/health') {
          const auth = req.headers.authorization ?? '';
          const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
          if (token === '' || !sameSecret(token, deps.operatorToken)) throw new ApiError('API_UNAUTHORIZED', 'missing or wrong bearer token');
        }
        const ctx: RequestContext = { req, res, params: m.params, query: url.searchParams, body: await readBody(req, limit), signal: ac.signal };
        const out = await m.handler(ctx);
        if (out !== undefined && !res.headersSent) send(res, m.status, out);
      } catch (err) {
        const status = statusFor(err);
        if (status >= 500) deps.logger.error('api request failed', { method: req.method, path: url.pathname, err });
        else deps.logger.info('api request refused', { method: req.method, path: url.pathname, status, code: (err as CausewayError).code });
        if (!res.headersSent) {
          const body = err instanceof CausewayError ? { error: { code: err.code, message: err.message } } : { error: { code: 'INTERNAL', message: 'internal error' } };
          send(res, status, body);
        } else res.end();
      }
    })();
  });
}
