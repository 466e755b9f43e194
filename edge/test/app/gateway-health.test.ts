import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { healthCollector } from '../../src/app/gateway-health.js';

describe('app/gateway-health: what the status reports (issue 20)', () => {
  it('uptime, backlog and its oldest age, evictions and expiries since start, disk, ports, last error, config version', () => {
    let now = 10_000;
    const outbox = { records: 5, bytes: 500, oldestCreated: 4000 as number | undefined, evicted: 7, expired: 2 };
    let err: { message: string; at: number } | undefined;
    const collect = healthCollector({
      startedAt: 9_000,
      dataDir: tmpdir(),
      now: () => now,
      outbox: () => ({ ...outbox }),
      ports: () => [{ path: '/dev/ttyUSB0', device: 'th-1', open: false, opens: 3, disconnects: 2 }],
      lastUplinkError: () => err,
      configVersion: () => 4,
    });
    const h = collect();
    assert.equal(h.uptimeSeconds, 1);
    assert.deepEqual(h.outbox, { records: 5, bytes: 500, oldestAgeSeconds: 6 });
    assert.deepEqual([h.evictions, h.expiries], [0, 0], 'counted from this start, not the persisted totals');
    assert.ok(h.diskFreeBytes > 0 && h.memFreeBytes > 0 && h.rssBytes > 0);
    assert.equal(h.ports[0]!.open, false);
    assert.equal(h.lastUplinkError, undefined);
    assert.equal(h.configVersion, 4);

    now = 70_000;
    Object.assign(outbox, { records: 0, bytes: 0, oldestCreated: undefined, evicted: 10, expired: 3 });
    err = { message: 'connack timeout', at: 60_000 };
    const later = collect();
    assert.equal(later.uptimeSeconds, 61);
    assert.deepEqual(later.outbox, { records: 0, bytes: 0, oldestAgeSeconds: 0 });
    assert.deepEqual([later.evictions, later.expiries], [3, 1]);
    assert.deepEqual(later.lastUplinkError, err);
  });

  it('an unreadable data directory reports disk free as -1 (unknown), not a failure', () => {
    const h = healthCollector({ startedAt: 0, dataDir: '/nonexistent/causeway', outbox: () => ({ records: 0, bytes: 0, evicted: 0, expired: 0 }), ports: () => [], lastUplinkError: () => undefined, configVersion: () => 0 })();
    assert.equal(h.diskFreeBytes, -1);
  });
});
