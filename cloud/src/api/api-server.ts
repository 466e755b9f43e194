import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { CausewayError } from '@causeway/shared';
import { ApiError, RETRY_AFTER_SECONDS, statusFor } from './http-status.js';
import { Router, type RequestContext } from './router.js';
import { deviceRoutes } from './device-routes.js';
import { queueRoutes } from './queue-routes.js';
import { controlRoutes } from './control-routes.js';
import { appRoutes } from './app-routes.js';
import { sinkRoutes } from './sink-routes.js';
import { deviceBatchRoutes } from './device-batch-routes.js';
import { fleetRoutes } from './fleet-routes.js';
import { claimRoutes, registerRoute } from './claim-routes.js';
import { registrationRoutes } from './registration-routes.js';
import { artifactRoutes } from './artifact-routes.js';
import { gatewayArtifactRoutes } from './gateway-artifact-routes.js';
import { ApiAuth } from './api-auth.js';
import { FailureLimiter } from '../identity/failure-limiter.js';
import { newApiCounters } from './api-counters.js';
import type { ApiDeps, PublishRequest } from './api-deps.js';
import { readBody } from './request-body.js';
import { loadConsoleAssets } from './console-assets.js';
import { consoleRoutes } from './console-routes.js';

export type { ApiDeps, PublishRequest };

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) };
  if (status === 503) headers['retry-after'] = String(RETRY_AFTER_SECONDS);
  res.writeHead(status, headers);
  res.end(text);
}

/** RFC 3986 origin-form: `/` path segments of pchars, an optional query; `%` only as an escape. */
const ORIGIN_FORM = /^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*$/;

/** The request target as a URL; only origin-form (`/path?query`) is served, anything else is a 400. */
function requestUrl(raw: string | undefined): URL {
  if (raw === undefined || !raw.startsWith('/')) throw new ApiError('API_BAD_REQUEST', 'the request target must be a path starting with "/"');
  if (!ORIGIN_FORM.test(raw)) throw new ApiError('API_BAD_REQUEST', 'malformed request URL (characters outside RFC 3986 or a bad % escape)');
  try {
    // Prefixing the origin (instead of resolving against a base) keeps `//host/…` a path, not a host.
    return new URL(`http://localhost${raw}`);
  } catch {
    throw new ApiError('API_BAD_REQUEST', 'malformed request URL');
  }
}

/** Answers for what the HTTP parser refused before a request existed ('clientError'). */
const CLIENT_ERROR_STATUS: Record<string, [number, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
};

function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset connection has nobody left to answer.
  if (err.code !== 'ECONNRESET' && socket.writable) {
    const [status, reason] = CLIENT_ERROR_STATUS[err.code ?? ''] ?? [400, 'Bad Request'];
    const body = JSON.stringify({ error: { code: status === 400 ? 'API_BAD_REQUEST' : status === 408 ? 'API_TIMEOUT' : 'API_TOO_LARGE', message: `unparseable or incomplete request (${err.code ?? 'unknown'})` } });
    socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}

const UNAUTHENTICATED = Object.freeze({ kind: 'app', id: '(unauthenticated)', read: [], publish: [] } as const);

/**
 * The operator and backend HTTP API, versioned under /v1 (docs/api.md). Every request but GET /v1/health
 * is authenticated before it is routed; backend apps reach only the queue routes they were granted.
 * Nothing a client sends can throw out of the request path: malformed input is a 4xx, anything else a
 * logged and counted 500, and the process (with the MQTT broker in it) keeps running (issue 23 item 1).
 */
export function createApiServer(deps: ApiDeps): Server {
  const counters = deps.counters ?? newApiCounters();
  const router = new Router();
  deviceRoutes(router, deps, counters);
  appRoutes(router, deps);
  queueRoutes(router, deps);
  if (deps.sinks !== undefined) sinkRoutes(router, deps.sinks);
  if (deps.commands !== undefined && deps.config !== undefined) controlRoutes(router, deps.commands, deps.config);
  consoleRoutes(router, deps);
  deviceBatchRoutes(router, deps);
  if (deps.fleet !== undefined) fleetRoutes(router, deps, deps.fleet);
  if (deps.claims !== undefined) claimRoutes(router, deps, deps.claims);
  if (deps.claims !== undefined && deps.registrations !== undefined) registrationRoutes(router, deps, deps.claims, deps.registrations);
  // Routes without the operator token: their body carries the credential (a claim token, issue 20).
  const open = new Router();
  if (deps.claims !== undefined) registerRoute(open, deps, deps.claims, new FailureLimiter({ burst: 10, refillPerSecond: 0.2, ...deps.authFailures, maxSources: 100_000 }), counters);
  if (deps.files !== undefined) artifactRoutes(router, deps.files);
  // Routes for gateways, with their MQTT id and secret as HTTP Basic credentials (issue 17).
  const gateways = new Router();
  const { grants, served } = deps.files ?? {};
  if (deps.files !== undefined && grants !== undefined && served !== undefined) gatewayArtifactRoutes(gateways, { artifacts: deps.files.artifacts, grants, served });
  router.add('GET', '/v1/stats', async () => ({ store: await deps.log.stats(), api: { ...counters }, ...(deps.stats ? await deps.stats() : {}) }));

  const auth = new ApiAuth(deps.operatorToken, deps.registry, new FailureLimiter({ burst: 10, refillPerSecond: 0.2, ...deps.authFailures, maxSources: 100_000 }));
  const limit = deps.maxBodyBytes ?? 1024 * 1024;
  const maxStreams = deps.maxStreams ?? 100;
  // The console's static files need no token (they hold none); everything they do goes through /v1.
  const consoleAssets = deps.console === false ? undefined : loadConsoleAssets(deps.consoleDir);

  const count = (status: number, err: unknown): void => {
    const code = err instanceof CausewayError ? err.code : '';
    if (code === 'API_BUSY') return; // counted as streamsRefused where it is thrown
    if (status === 401) counters.unauthorized++;
    else if (status === 403) counters.forbidden++;
    else if (status === 500) counters.internalErrors++;
    else if (status === 503) counters.unavailable++;
    else if (status < 500) counters.badRequests++;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    // A late write to a closed response must not become an uncaught 'error'.
    res.on('error', (err) => deps.logger.debug('api response error', { err }));
    let path = '?';
    try {
      const url = requestUrl(req.url);
      path = url.pathname;
      if (req.method === 'GET' && path === '/v1/health') return send(res, 200, { ok: true });
      if ((req.method === 'GET' || req.method === 'HEAD') && !path.startsWith('/v1/') && consoleAssets?.serve(path, res)) return;
      const gm = gateways.match(req.method ?? 'GET', path);
      if (gm !== undefined) {
        const gateway = await auth.gateway(req.headers.authorization, req.socket.remoteAddress ?? '?');
        if (gateway === undefined) {
          res.setHeader('www-authenticate', 'Basic realm="causeway gateways"');
          throw new ApiError('API_UNAUTHORIZED', 'missing or wrong gateway credentials (HTTP Basic: gateway id and secret)');
        }
        await gm.handler({ req, res, params: gm.params, query: url.searchParams, body: {}, signal: ac.signal, principal: UNAUTHENTICATED, gateway });
        return;
      }
      const pub = open.match(req.method ?? 'GET', path);
      // Authenticate before routing: a caller without a token gets 401 whatever it asks, so 404/405
      // do not map the routes for it (issue 23 item 16). The open routes are documented anyway; their
      // handlers check the credential in the body (a claim). Their principal is an app with no grants,
      // so nothing it reaches could take a queue or topic.
      const principal = pub !== undefined ? UNAUTHENTICATED : await auth.principal(req.headers.authorization, req.socket.remoteAddress ?? '?');
      if (principal === undefined) throw new ApiError('API_UNAUTHORIZED', 'missing or wrong bearer token');
      const m = pub ?? router.match(req.method ?? 'GET', path);
      if (m === undefined) throw new ApiError('API_NOT_FOUND', `no route ${req.method} ${path}`);
      if (pub === undefined && principal.kind === 'app' && !m.apps) throw new ApiError('API_FORBIDDEN', `app ${principal.id} may only use the queue routes it was granted`);
      let release = (): void => undefined;
      if (m.stream) {
        if (counters.streamsOpen >= maxStreams) {
          counters.streamsRefused++;
          throw new ApiError('API_BUSY', `${maxStreams} event streams are open (api.maxStreams); try again later`);
        }
        counters.streamsOpen++;
        let released = false;
        release = () => {
          if (!released) counters.streamsOpen--;
          released = true;
        };
      }
      try {
        const ctx: RequestContext = { req, res, params: m.params, query: url.searchParams, body: m.raw ? {} : await readBody(req, limit), signal: ac.signal, principal };
        const out = await m.handler(ctx);
        if (out !== undefined && !res.headersSent) send(res, m.status, out);
      } finally {
        release();
      }
    } catch (err) {
      const status = statusFor(err);
      count(status, err);
      // Never the headers (the token) or the body: method, path and the error only.
      if (status >= 500) deps.logger.error('api request failed', { method: req.method, path, err });
      else deps.logger.info('api request refused', { method: req.method, path, status, code: (err as CausewayError).code });
      if (!res.headersSent) {
        const details = err instanceof CausewayError && 'details' in err ? { details: (err as { details: unknown }).details } : {};
        const body = err instanceof CausewayError ? { error: { code: err.code, message: err.message, ...details } } : { error: { code: 'INTERNAL', message: 'internal error' } };
        send(res, status, body);
      } else res.end();
    }
  };

  const headersTimeout = deps.headersTimeoutMs ?? 10_000;
  const server = createServer(
    {
      headersTimeout,
      requestTimeout: deps.requestTimeoutMs ?? 30_000,
      // Node checks both timeouts on this interval (30 s by default, which let slow headers hang on
      // for 88 s); check often enough that the timeouts mean what they say.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeout / 2))),
    },
    (req, res) => {
      counters.requests++;
      handle(req, res).catch((err: unknown) => {
        // Only a failure while answering a failure gets here: close the exchange, keep the process.
        counters.internalErrors++;
        deps.logger.error('api request failed while answering', { method: req.method, err });
        res.destroy();
      });
    },
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    counters.clientErrors++;
    deps.logger.info('api request unparseable', { code: err.code });
    answerClientError(err, socket);
  });
  return server;
}
