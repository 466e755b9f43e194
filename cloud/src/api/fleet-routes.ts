import type { FleetStatusStore } from '../fleet/fleet-store.js';
import { gatewayView, gatewayViews, whereSubject } from '../fleet/fleet-view.js';
import { bundleDocument, bundleFileName } from '../fleet/support-bundle.js';
import { matchesWhere, parseWhere } from '../fleet/where.js';
import type { ApiDeps } from './api-deps.js';
import { ApiError } from './http-status.js';
import { int, queryObject, str } from './params.js';
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

  // One gateway (the console's Gateway page polls it): its entry alone, not the whole fleet's views.
  router.add('GET', '/v1/gateways/:id', async ({ params }) => {
    const e = await deps.registry.get(params.id!);
    if (e === undefined || e.kind !== 'gateway') throw new ApiError('API_NOT_FOUND', `no gateway with id ${params.id}`);
    return gatewayView(e, (await fleet.statuses()).find((s) => s.gateway === e.id), Date.now());
  });

  /**
   * The gateway's latest support bundle as a file (issue 20): the output of the newest `support-bundle`
   * command to it that SUCCEEDED (or of `?command=ID`), its log slice expanded. Asking for a new one is a
   * command (`causeway bundle GW`, or POST /v1/commands {name: "support-bundle", device: GW}): the gateway
   * may be offline, and answers within the command's TTL.
   */
  router.add('GET', '/v1/gateways/:id/bundle', async ({ params, query, res }) => {
    const gateway = params.id!;
    const commands = deps.commands;
    if (commands === undefined) throw new ApiError('API_NOT_FOUND', 'support bundles need the control plane (control.enabled)');
    const q = queryObject(query);
    const asked = str(q, 'command');
    const scan = int(q, 'scan', 1000, 1, 10_000);
    const candidates = asked !== undefined ? [await commands.get(asked)].filter((c) => c !== undefined) : await commands.list(scan);
    let output: unknown;
    let commandId: string | undefined;
    for (const c of candidates) {
      if (c.name !== 'support-bundle' || !('device' in c.target) || c.target.device !== gateway) continue;
      const t = (await commands.targets(c.id, 'SUCCEEDED'))[0];
      if (t === undefined) continue;
      output = t.output;
      commandId = c.id;
      break;
    }
    if (commandId === undefined) {
      throw new ApiError('API_NOT_FOUND', asked !== undefined ? `command ${asked} is not a support-bundle of ${gateway} that succeeded` : `no support bundle from ${gateway} yet: ask for one with causeway bundle ${gateway} (or POST /v1/commands {"name":"support-bundle","device":"${gateway}"})`);
    }
    const text = JSON.stringify({ gateway, command: commandId, ...bundleDocument(output) }, null, 2) + '\n';
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-disposition': `attachment; filename="${bundleFileName(gateway)}"`,
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
    });
    res.end(text);
    return undefined;
  });
}
