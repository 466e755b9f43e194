import { serverQueue } from '@causeway/broker';
import { CausewayError, tryDecodeEnvelope } from '@causeway/shared';
import type { ConfigStatusRow } from '../control/config-service.js';
import type { GatewayStatusRecord } from '../fleet/fleet-store.js';
import { gatewayView, whereSubject } from '../fleet/fleet-view.js';
import { matchesWhere, parseWhere, type WhereClause } from '../fleet/where.js';
import type { RegistryEntry } from '../identity/registry/contract.js';
import { toQueueMessage } from '../queues/queue-message.js';
import type { ApiDeps } from './api-deps.js';
import { FleetFeed } from './fleet-feed.js';
import { ApiError } from './http-status.js';
import { int, queryObject, str } from './params.js';
import { KNOWN_QUEUES } from './queue-routes.js';
import { renderMessage, renderPrincipal } from './render.js';
import type { Router } from './router.js';

const STATES = ['online', 'offline', 'drift', 'disabled'] as const;
type FleetState = (typeof STATES)[number];

export interface FleetCounts {
  gateways: number;
  online: number;
  offline: number;
  inSync: number;
  drifted: number;
  disabled: number;
}

/**
 * A gateway row of the fleet page: the registry entry, its config state, and its latest status and health
 * from the fleet status store (the same `status` object `GET /v1/gateways` shows) with `offlineSeconds`.
 */
export type FleetRow = Record<string, unknown> & { id: string; config?: ConfigStatusRow; status?: GatewayStatusRecord; offlineSeconds?: number };

const drifted = (c: ConfigStatusRow | undefined): boolean => c !== undefined && c.desiredVersion !== undefined && !c.inSync;

function inState(e: RegistryEntry, c: ConfigStatusRow | undefined, s: FleetState): boolean {
  switch (s) {
    case 'online':
      return e.online;
    case 'offline':
      return !e.online;
    case 'drift':
      return drifted(c);
    case 'disabled':
      return !e.enabled;
  }
}

/**
 * Pure: one page of the fleet and the counts over every gateway the filter selects (so the counts at the
 * top of the page do not depend on which page is shown). Sorted by id for stable paging. `where` is the
 * filter of `GET /v1/gateways` (fleet/where.ts), matched against each gateway's latest status in `statuses`.
 */
export function fleetPage(
  entries: readonly RegistryEntry[],
  status: ReadonlyMap<string, ConfigStatusRow>,
  versions: ReadonlyMap<string, string>,
  o: { q?: string; state?: FleetState; where?: readonly WhereClause[]; statuses?: ReadonlyMap<string, GatewayStatusRecord>; now?: number; offset: number; limit: number },
): { total: number; counts: FleetCounts; rows: FleetRow[] } {
  const counts: FleetCounts = { gateways: 0, online: 0, offline: 0, inSync: 0, drifted: 0, disabled: 0 };
  const q = o.q?.toLowerCase();
  const now = o.now ?? Date.now();
  const where = o.where ?? [];
  const selected: RegistryEntry[] = [];
  for (const e of entries) {
    if (q !== undefined && q !== '' && !e.id.toLowerCase().includes(q)) continue;
    if (where.length > 0 && !matchesWhere(whereSubject(gatewayView(e, o.statuses?.get(e.id), now)), where)) continue;
    const c = status.get(e.id);
    counts.gateways++;
    if (e.online) counts.online++;
    else counts.offline++;
    if (c?.inSync === true) counts.inSync++;
    if (drifted(c)) counts.drifted++;
    if (!e.enabled) counts.disabled++;
    if (o.state === undefined || inState(e, c, o.state)) selected.push(e);
  }
  selected.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const rows = selected.slice(o.offset, o.offset + o.limit).map((e) => {
    const c = status.get(e.id);
    const st = o.statuses?.get(e.id);
    const v = st?.agentVersion ?? versions.get(e.id);
    const { offlineSeconds } = gatewayView(e, undefined, now);
    return {
      ...(v === undefined ? {} : { agentVersion: v }),
      ...renderPrincipal(e),
      ...(offlineSeconds === undefined ? {} : { offlineSeconds }),
      ...(c === undefined ? {} : { config: c }),
      ...(st === undefined ? {} : { status: st }),
    } as FleetRow;
  });
  return { total: selected.length, counts, rows };
}

/** How often an open fleet stream recomputes its page (and sends it if it changed). */
export const FLEET_PUSH_MS = 2000;
const FLEET_KEEPALIVE_MS = 15_000;

/** One page of the fleet for a query (`GET /v1/fleet` and its stream); a bad query throws a 400 before anything is read. */
async function loadFleet(deps: ApiDeps, query: URLSearchParams): Promise<Record<string, unknown>> {
  const qo = queryObject(query);
  const state = str(qo, 'state');
  if (state !== undefined && state !== '' && !(STATES as readonly string[]).includes(state)) throw new ApiError('API_BAD_REQUEST', `state must be one of ${STATES.join(', ')}`);
  // The same language and parser as GET /v1/gateways?where= (fleet/where.ts).
  const where = parseWhere(str(qo, 'where') ?? '');
  const offset = int(qo, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = int(qo, 'limit', 100, 1, 1000);
  const group = str(qo, 'group');
  const tag = str(qo, 'tag');
  const q = str(qo, 'q');
  const entries = await deps.registry.list({ kind: 'gateway', ...(group ? { group } : {}), ...(tag ? { tag } : {}) });
  const status = new Map((deps.config === undefined ? [] : await deps.config.status()).map((r) => [r.gateway, r]));
  const statuses = new Map((deps.fleet === undefined ? [] : await deps.fleet.statuses()).map((r) => [r.gateway, r]));
  // Without the control plane there is no status store: the agent version comes from the retained status.
  const versions = deps.fleet === undefined ? await agentVersions(deps) : new Map<string, string>();
  const page = fleetPage(entries, status, versions, { where, statuses, offset, limit, ...(q === undefined ? {} : { q }), ...(state ? { state: state as FleetState } : {}) });
  return { total: page.total, offset, limit, counts: page.counts, gateways: page.rows };
}

/** Pure: does a queue message come from this gateway (its topic's second level, `telemetry/{gw}/…`). */
export function fromGateway(topic: string, gateway: string): boolean {
  const first = topic.indexOf('/');
  if (first < 0) return false;
  const end = topic.indexOf('/', first + 1);
  return topic.slice(first + 1, end < 0 ? undefined : end) === gateway;
}

/** Each gateway's agent version, from the status it publishes retained on `status/{gw}` when it connects. */
async function agentVersions(deps: ApiDeps): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (deps.retained === undefined) return out;
  for (const m of await deps.retained('status/+')) {
    const gateway = m.topic.slice('status/'.length);
    const d = tryDecodeEnvelope(m.payload);
    if (d.ok && d.envelope.type === 'status' && typeof d.envelope.agentVersion === 'string') out.set(gateway, d.envelope.agentVersion);
  }
  return out;
}

/**
 * Routes the console needs and the rest of the API lacked (issue 18, docs/api.md "Console"): one page of
 * the fleet with its counts in one request (no per-row requests at 10,000 gateways), and the latest
 * messages of a queue without a consumer group (a live chart must not create groups or move offsets).
 */
export function consoleRoutes(router: Router, deps: ApiDeps): void {
  router.add('GET', '/v1/fleet', async ({ query }) => loadFleet(deps, query));

  // The same page pushed (issue 18, "updates live"): computed at most once per FLEET_PUSH_MS per distinct
  // query, shared by every stream showing it (fleet-feed.ts), and sent to a stream only when it changed, so
  // a quiet fleet costs no traffic and a busy one at most one page per interval (heartbeats from 10,000
  // gateways do not become 10,000 events). A bad query is a 400 before the stream opens; a failure while
  // open is an `error` event and the next interval tries again.
  const feed = new FleetFeed(
    (q) =>
      loadFleet(deps, q).catch((err: unknown) => {
        deps.logger.warn('fleet stream page failed', { err });
        throw err;
      }),
    FLEET_PUSH_MS,
  );
  router.add(
    'GET',
    '/v1/fleet/stream',
    async ({ query, res, signal }) => {
      let last = JSON.stringify(await loadFleet(deps, query));
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write(`event: fleet\ndata: ${last}\n\n`);
      let quietSince = Date.now();
      await new Promise<void>((resolve) => {
        const stop = feed.subscribe(query, {
          value: (json) => {
            if (json !== last) {
              last = json;
              quietSince = Date.now();
              res.write(`event: fleet\ndata: ${json}\n\n`);
            } else if (Date.now() - quietSince >= FLEET_KEEPALIVE_MS) {
              // a comment line: keeps proxies from closing an idle stream
              quietSince = Date.now();
              res.write(': keepalive\n\n');
            }
          },
          error: (err) => {
            // As the API answers a failure: a coded error says what it is, anything else is internal.
            const body = err instanceof CausewayError ? { code: err.code, message: err.message } : { code: 'INTERNAL', message: 'internal error' };
            res.write(`event: error\ndata: ${JSON.stringify(body)}\n\n`);
          },
        });
        const done = (): void => {
          stop();
          resolve();
        };
        if (signal.aborted) done();
        else signal.addEventListener('abort', done, { once: true });
      });
      res.end();
      return undefined;
    },
    { stream: true },
  );

  router.add('GET', '/v1/queues/:queue/recent', async ({ params, query }) => {
    const queue = params.queue!;
    if (!(KNOWN_QUEUES as readonly string[]).includes(queue)) throw new ApiError('API_NOT_FOUND', `no queue ${queue} (queues: ${KNOWN_QUEUES.join(', ')})`);
    const qo = queryObject(query);
    const limit = int(qo, 'limit', 100, 1, 1000);
    const gateway = str(qo, 'gateway');
    // Scan back from the tail in windows; a bounded scan, so a quiet gateway in a busy fleet costs at
    // most `scan` records, and its older messages are simply not "recent".
    const scan = int(qo, 'scan', 5000, 1, 50_000);
    const log = deps.log;
    const name = serverQueue(queue);
    const first = await log.firstOffset(name);
    let end = await log.nextOffset(name);
    const floor = Math.max(first, end - scan);
    const out = [];
    while (end > floor && out.length < limit) {
      const from = Math.max(floor, end - 500);
      const batch = await log.read(name, from, end - from);
      for (let i = batch.length - 1; i >= 0 && out.length < limit; i--) {
        const e = batch[i]!;
        if (gateway === undefined || fromGateway(e.message.topic, gateway)) out.push(renderMessage(toQueueMessage(queue, e, 0)));
      }
      end = from;
    }
    return { messages: out.reverse() };
  });
}
