import assert from 'node:assert/strict';
import { openSqliteControlStore } from '../../src/control/sqlite-control-store.js';
import { ConfigService } from '../../src/control/config-service.js';
import { MemoryRegistry } from '../../src/identity/registry/memory-registry.js';
import { decodeEnvelope } from '../../../shared/src/codec/envelope-codec.js';
import { silentLogger } from '../../../shared/src/log/logger.js';

describe('cloud/control/config-service', () => {
  let registry: MemoryRegistry;
  let pushed: Map<string, unknown>;
  let svc: ConfigService;

  beforeEach(async () => {
    registry = new MemoryRegistry();
    pushed = new Map();
    await registry.create({ id: 'gw1', kind: 'gateway', groups: ['north'], tags: {}, enabled: true, createdAt: 0, online: false });
    await registry.create({ id: 'gw2', kind: 'gateway', groups: [], tags: {}, enabled: true, createdAt: 0, online: false });
    svc = new ConfigService({
      store: openSqliteControlStore(':memory:').config,
      registry,
      publishRetained: async (topic, payload) => void pushed.set(topic, decodeEnvelope(payload)),
      logger: silentLogger,
    });
  });

  it('merges all < group < gateway, versions monotonically, and pushes retained per gateway', async () => {
    const a = await svc.setDesired({ all: true }, { uplink: { batchMaxReadings: 100 }, ingest: { tickMs: 1 } });
    assert.deepEqual(a.gateways, ['gw1', 'gw2']);
    const g = await svc.setDesired({ group: 'north' }, { ingest: { tickMs: 5 } });
    const w = await svc.setDesired({ gateway: 'gw1' }, { uplink: { batchMaxReadings: 7 } });
    assert.ok(a.version < g.version && g.version < w.version);
    assert.deepEqual(pushed.get('config/gw1'), { v: 1, type: 'config', version: w.version, issuedAt: (pushed.get('config/gw1') as { issuedAt: number }).issuedAt, config: { uplink: { batchMaxReadings: 7 }, ingest: { tickMs: 5 } } });
    assert.deepEqual((pushed.get('config/gw2') as { config: unknown }).config, { uplink: { batchMaxReadings: 100 }, ingest: { tickMs: 1 } });
  });

  it('shows drift: applied, rejected with the failing key, and not yet reported', async () => {
    const { version } = await svc.setDesired({ all: true }, { ingest: { tickMs: 2 } });
    await svc.handleReported('gw1', { v: 1, type: 'config-reported', id: 'r1', gateway: 'gw1', version, status: 'APPLIED', ts: 5 });
    await svc.handleReported('gw2', { v: 1, type: 'config-reported', id: 'r2', gateway: 'gw2', version, status: 'REJECTED', ts: 6, error: { key: 'ingest.tickMs', message: 'must be ≥ 5' } });
    const st = await svc.status();
    assert.deepEqual(st.map((r) => [r.gateway, r.desiredVersion, r.reportedVersion, r.status, r.inSync]), [
      ['gw1', version, version, 'APPLIED', true],
      ['gw2', version, version, 'REJECTED', false],
    ]);
    assert.equal(st[1]!.error?.key, 'ingest.tickMs');
    await svc.setDesired({ gateway: 'gw1' }, { ingest: { tickMs: 9 } });
    assert.equal((await svc.status())[0]!.inSync, false, 'a newer desired version is drift until reported');
  });

  it('refuses unknown keys and wrong types against the agent schema before taking a version (issue 24)', async () => {
    const a = await svc.setDesired({ all: true }, { uplink: { inflight: 4 } });
    await assert.rejects(svc.setDesired({ all: true }, { ingest: { rate: 5 } }), (e: any) => e.code === 'CONFIG_INVALID' && e.key === 'ingest.rate' && /^ingest\.rate: unknown key/.test(e.message));
    await assert.rejects(svc.setDesired({ group: 'north' }, { uplink: { inflight: 'lots' } }), (e: any) => e.key === 'uplink.inflight' && /must be a positive integer, got "lots"/.test(e.message));
    const b = await svc.setDesired({ all: true }, { uplink: { inflight: 2 } });
    assert.equal(b.version, a.version + 1, 'refused documents take no version');
    assert.deepEqual((pushed.get('config/gw1') as { config: unknown }).config, { uplink: { inflight: 2 } });
  });

  it('refuses a config that is not an object or too large', async () => {
    await assert.rejects(svc.setDesired({ all: true }, [] as unknown as Record<string, unknown>), /JSON object/);
    await assert.rejects(svc.setDesired({ all: true }, { blob: 'x'.repeat(70_000) }), /limit/);
    await assert.rejects(svc.setDesired({ gateway: 'a/b' }, {}), /gateway id/);
  });
});
