import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { fleetTotals, registerFleetMetrics } from '../../src/fleet/fleet-metrics.js';
import type { GatewayView } from '../../src/fleet/fleet-view.js';
import { gatewayViews, whereSubject } from '../../src/fleet/fleet-view.js';
import type { GatewayHealth } from '@causeway/shared';

const health = (records: number, oldest: number): GatewayHealth => ({
  uptimeSeconds: 10,
  outbox: { records, bytes: records * 10, oldestAgeSeconds: oldest },
  evictions: 0,
  expiries: 0,
  diskFreeBytes: -1,
  memFreeBytes: 1,
  rssBytes: 1,
  ports: [],
  configVersion: 3,
});

describe('fleet/fleet-metrics and fleet-view', () => {
  const now = 1_000_000;
  const views: GatewayView[] = gatewayViews(
    [
      { id: 'b', kind: 'gateway', groups: [], tags: {}, enabled: true, createdAt: 0, online: false, lastSeenAt: now - 90_000 },
      { id: 'a', kind: 'gateway', groups: [], tags: {}, enabled: true, createdAt: 0, online: true, lastSeenAt: now },
      { id: 'c', kind: 'gateway', groups: [], tags: {}, enabled: true, createdAt: 0, online: false },
      { id: 'd1', kind: 'device', gateway: 'a', groups: [], tags: {}, enabled: true, createdAt: 0, online: false },
    ],
    [
      { gateway: 'a', online: true, reportedAt: 1, receivedAt: 1, health: health(10, 5), agentVersion: '1.2.3-rc1', clockOffsetMs: -40_000 },
      { gateway: 'b', online: false, reportedAt: 1, receivedAt: 1, health: health(500, 3600) },
      { gateway: 'zz', online: true, reportedAt: 1, receivedAt: 1, health: health(9, 9) },
    ],
    now,
  );

  it('views: registered gateways only, by id, offline time from the registry, a status joined when there is one', () => {
    assert.deepEqual(views.map((v) => [v.id, v.online, v.offlineSeconds, v.status?.health?.outbox.records]), [
      ['a', true, 0, 10],
      ['b', false, 90, 500],
      ['c', false, undefined, undefined],
    ]);
    const s = whereSubject(views[0]!);
    assert.deepEqual(s.values.version, [1, 2, 3]);
    assert.equal(s.values.clockSkew, 40);
    assert.equal(s.values.diskFree, undefined, 'an unknown disk (-1) is not compared');
    assert.equal(s.values.configVersion, 3);
  });

  it('totals: online, reporting, backlog summed and the oldest across the fleet', async () => {
    assert.deepEqual(fleetTotals(views), { registered: 3, online: 1, reporting: 2, backlogRecords: 510, backlogBytes: 5100, oldestBacklogSeconds: 3600 });
    const registry = new Registry();
    let reads = 0;
    registerFleetMetrics(registry, async () => (reads++, views));
    const text = await registry.metrics();
    assert.match(text, /causeway_fleet_gateways\{state="online"\} 1/);
    assert.match(text, /causeway_fleet_backlog\{what="records"\} 510/);
    assert.match(text, /causeway_fleet_oldest_backlog_seconds 3600/);
    assert.equal(reads, 1, 'one read per scrape');
  });
});
