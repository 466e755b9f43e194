import type { FleetStatusStore } from '../fleet/fleet-store.js';
import { gatewayViews, whereSubject } from '../fleet/fleet-view.js';
import { matchesWhere, parseWhere } from '../fleet/where.js';
import type { ApiDeps } from './api-deps.js';
import { ApiError } from './http-status.js';
import { queryObject, str } from './params.js';
import type { Router } from './router.js';

/** /v1/gateways: every gateway with its latest status and health, filtered by `where` (issue 20). */
export function fleetRoutes(router: Router, deps: ApiDeps, fleet: FleetStatusStore): void {
  const views = async (now: number) => gatewayViews(await deps.registry.list({ kind: 'gateway' }), await fleet.statuses(), now);

  router.add('GET', '/v1/gateways', async ({ query }) => {
    const q = queryObject(query);
    // Parsed before anything is read: a bad expression is a 400 naming the clause (fleet/where.ts).
    const clauses = parseWhere(str(q, 'where') ?? '');
    const list = (await views(Date.now())).filter((v) => matchesWhere(whereSubject(v), clauses));
    return { gateways: list };
  });

  router.add('GET', '/v1/gateways/:id', async ({ params }) => {
    const v = (await views(Date.now())).find((g) => g.id === params.id);
    if (v === undefined) throw new ApiError('API_NOT_FOUND', `no gateway with id ${params.id}`);
    return v;
  });
}
