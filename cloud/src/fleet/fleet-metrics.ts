import { Gauge, type Registry } from 'prom-client';
import type { GatewayView } from './fleet-view.js';

export interface FleetTotals {
  registered: number;
  online: number;
  /** gateways that reported health at least once */
  reporting: number;
  backlogRecords: number;
  backlogBytes: number;
  /** the oldest undelivered record on any gateway, by the last reports (s) */
  oldestBacklogSeconds: number;
}

/** Pure: fleet totals from the gateway views; an offline gateway's backlog is the one it last reported. */
export function fleetTotals(views: readonly GatewayView[]): FleetTotals {
  const t: FleetTotals = { registered: views.length, online: 0, reporting: 0, backlogRecords: 0, backlogBytes: 0, oldestBacklogSeconds: 0 };
  for (const v of views) {
    if (v.online) t.online++;
    const h = v.status?.health;
    if (h === undefined) continue;
    t.reporting++;
    t.backlogRecords += h.outbox.records;
    t.backlogBytes += h.outbox.bytes;
    t.oldestBacklogSeconds = Math.max(t.oldestBacklogSeconds, h.outbox.oldestAgeSeconds);
  }
  return t;
}

/**
 * Fleet gauges for Prometheus (issue 20; alert rules in docs/operations.md): gateways registered, online
 * and reporting, total backlog and the oldest backlog across the fleet. Read once per scrape.
 */
export function registerFleetMetrics(registry: Registry, read: () => Promise<readonly GatewayView[]>): void {
  let last: Promise<FleetTotals> | undefined;
  // Every gauge of one scrape reads the same totals: one registry and status read per scrape.
  const totals = (): Promise<FleetTotals> => {
    last ??= read().then(fleetTotals).finally(() => setImmediate(() => (last = undefined)));
    return last;
  };
  new Gauge({
    name: 'causeway_fleet_gateways',
    help: 'Gateways: registered, online now, reporting health',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const t = await totals();
      this.set({ state: 'registered' }, t.registered);
      this.set({ state: 'online' }, t.online);
      this.set({ state: 'reporting' }, t.reporting);
    },
  });
  new Gauge({
    name: 'causeway_fleet_backlog',
    help: 'Records and bytes waiting in every gateway outbox, by their last reports',
    labelNames: ['what'],
    registers: [registry],
    async collect() {
      const t = await totals();
      this.set({ what: 'records' }, t.backlogRecords);
      this.set({ what: 'bytes' }, t.backlogBytes);
    },
  });
  new Gauge({
    name: 'causeway_fleet_oldest_backlog_seconds',
    help: 'Age of the oldest undelivered record on any gateway, by the last reports',
    registers: [registry],
    async collect() {
      this.set((await totals()).oldestBacklogSeconds);
    },
  });
}
