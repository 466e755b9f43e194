/**
 * The operator's HTTP window into a running program: `GET /healthz` (200 or 503, JSON) for load
 * balancers and scripts, `GET /metrics` (Prometheus text) for scraping. Binds 127.0.0.1 by default:
 * the endpoints carry no authentication, so reaching them from elsewhere is a deliberate choice
 * (a reverse proxy, or host set on purpose).
 *
 * @example
 * const registry = new Registry();
 * const health = await startHealthServer({ port: 9464, registry, check: () => ({ ok: outbox.isOpen(), details: { pending: outbox.size() } }) });
 * // … on SIGTERM: await health.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, type Registry } from 'prom-client';
import { CausewayError } from '../errors/causeway-error.js';
import { redact, silentLogger, type Logger } from '../log/logger.js';

export interface HealthReport {
  ok: boolean;
  /** shown to the operator as-is (after secret-looking keys are redacted); keep it small */
  details?: Record<string, unknown>;
}

export interface HealthServerOptions {
  /** default 127.0.0.1 */
  host?: string;
  /** 0 picks a free port (tests) */
  port: number;
  registry: Registry;
  check: () => HealthReport | Promise<HealthReport>;
  /** register prom-client's process/runtime metrics (CPU, memory, event-loop lag, GC) on the registry; default true */
  defaultMetrics?: boolean;
  /** a check slower than this answers 503 (a stuck check is itself unhealthy); default 2000 ms */
  checkTimeoutMs?: number;
  logger?: Logger;
}

export interface HealthServer {
  readonly host: string;
  readonly port: number;
  /** e.g. http://127.0.0.1:9464 */
  readonly url: string;
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** Runs the check with a deadline; a throw or timeout becomes a failed report, never an exception. */
async function runCheck(check: HealthServerOptions['check'], timeoutMs: number): Promise<{ report: HealthReport; outcome: 'ok' | 'fail' | 'error' }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CausewayError('HEALTH_TIMEOUT', `health check took longer than ${timeoutMs} ms`)), timeoutMs);
    });
    const report = await Promise.race([Promise.resolve().then(check), deadline]);
    if (report === null || typeof report !== 'object' || typeof report.ok !== 'boolean') {
      throw new CausewayError('HEALTH_INVALID', 'health check returned no {ok: boolean}');
    }
    return { report, outcome: report.ok ? 'ok' : 'fail' };
  } catch (err) {
    const error = err instanceof CausewayError ? { code: err.code, message: err.message } : { code: 'HEALTH_ERROR', message: String((err as Error)?.message ?? err) };
    return { report: { ok: false, details: { error } }, outcome: 'error' };
  } finally {
    clearTimeout(timer);
  }
}

function send(res: ServerResponse, status: number, type: string, body: string, head: boolean): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

/** Starts the server; resolves once it listens, rejects with IO_LISTEN (exit 74) if it cannot. */
export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const host = opts.host ?? '127.0.0.1';
  const timeoutMs = opts.checkTimeoutMs ?? 2000;
  const log = opts.logger ?? silentLogger;
  const { registry } = opts;
  // Registering twice on one registry throws; a program that restarts its server must not crash.
  if ((opts.defaultMetrics ?? true) && registry.getSingleMetric('process_cpu_user_seconds_total') === undefined) {
    collectDefaultMetrics({ register: registry });
  }
  const checks =
    (registry.getSingleMetric('causeway_health_checks_total') as Counter<'result'> | undefined) ??
    new Counter({ name: 'causeway_health_checks_total', help: 'Health checks answered on /healthz, by result (ok, fail, error)', labelNames: ['result'], registers: [registry] });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    const head = req.method === 'HEAD';
    if (path !== '/healthz' && path !== '/metrics') return send(res, 404, JSON_TYPE, JSON.stringify({ error: 'not found', paths: ['/healthz', '/metrics'] }), head);
    if (req.method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, JSON_TYPE, JSON.stringify({ error: 'method not allowed' }), false);
    }
    if (path === '/healthz') {
      const { report, outcome } = await runCheck(opts.check, timeoutMs);
      checks.inc({ result: outcome });
      const body = { status: report.ok ? 'ok' : 'fail', ...(report.details === undefined ? {} : { details: redact(report.details) }) };
      return send(res, report.ok ? 200 : 503, JSON_TYPE, JSON.stringify(body), head);
    }
    send(res, 200, registry.contentType, await registry.metrics(), head);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error('health endpoint failed', { err, path: req.url });
      if (!res.headersSent) send(res, 500, JSON_TYPE, JSON.stringify({ error: 'internal error' }), false);
      else res.destroy();
    });
  });
  // Scrapers and probes send small requests; do not let a slow client hold a socket for minutes.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new CausewayError('IO_LISTEN', `health server cannot listen on ${host}:${opts.port}: ${err.message}`, { cause: err })));
    server.listen(opts.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  log.info('health server listening', { url: `http://${urlHost}:${port}`, paths: ['/healthz', '/metrics'] });

  return {
    host,
    port,
    url: `http://${urlHost}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
