import assert from 'node:assert/strict';
import { openSqliteControlStore } from '../../src/control/sqlite-control-store.js';
import { ConfigService } from '../../src/control/config-service.js';
import { MemoryRegistry } from '../../src/identity/registry/memory-registry.js';
import { decodeEnvelope, createLogger, ConfigError } from '@causeway/shared';
import type { ConfigStore } from '../../src/control/control-store.js';

describe('cloud/control/config-service', () => {
  let registry: MemoryRegistry;
  let pushed: Map<string, unknown>;
  let svc: ConfigService;
  let store: ConfigStore;
  let lines: string[];

  beforeEach(async () => {
    registry = new MemoryRegistry();
    pushed = new Map();
    await registry.create({ id: 'gw1', kind: 'gateway', groups: ['north'], tags: {}, enabled: true, createdAt: 0, online: false });
    await registry.create({ id: 'gw2', kind: 'gateway', groups: [], tags: {}, enabled: true, createdAt: 0, online: false });
    store = openSqliteControlStore(':memory:').config;
    lines = [];
    svc = new ConfigService({
      store,
      registry,
      publishRetained: async (topic, payload) => void pushed.set(topic, decodeEnvelope(payload)),
      logger: createLogger({ write: (l) => void lines.push(l) }),
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

  it('effectiveAt: the merged document a gateway was sent at an older version (the console diffs it, issue 18)', async () => {
    const a = await svc.setDesired({ all: true }, { uplink: { batchMaxReadings: 100 } });
    const g = await svc.setDesired({ group: 'north' }, { ingest: { tickMs: 5 } });
    await svc.setDesired({ all: true }, { uplink: { batchMaxReadings: 200 } });
    const w = await svc.setDesired({ gateway: 'gw1' }, { uplink: { inflight: 3 } });
    const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v)); // the merge builds null-prototype objects
    assert.deepEqual(plain(await svc.effectiveAt('gw1', a.version)), { version: a.version, config: { uplink: { batchMaxReadings: 100 } } });
    assert.deepEqual(plain(await svc.effectiveAt('gw1', g.version)), { version: g.version, config: { uplink: { batchMaxReadings: 100 }, ingest: { tickMs: 5 } } });
    assert.deepEqual(plain(await svc.effectiveAt('gw1', w.version)), plain(await svc.effective('gw1')), 'at the newest version it is the current one');
    assert.equal(await svc.effectiveAt('gw1', a.version - 1), undefined);
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

  // issue 23 item 3: where the data and the secrets go is not the cloud's to change
  const LOCAL_ONLY: Array<[string, Record<string, unknown>, string]> = [
    ['the broker URL', { cloud: { url: 'mqtt://attacker:1883' } }, 'cloud.url'],
    ['the broker password', { uplink: { inflight: 2 }, cloud: { password: 'x' } }, 'cloud.password'],
    ['the trusted CA', { cloud: { ca: '/tmp/evil.pem' } }, 'cloud.ca'],
    ['a dotted name', { 'cloud.username': 'x' }, 'cloud.username'],
    ['the whole cloud section', { cloud: null }, 'cloud.url'],
    ['the local broker URL', { ingest: { mqtt: { url: 'mqtt://attacker' } } }, 'ingest.mqtt.url'],
    ['the listener address', { ingest: { mqtt: { listen: { host: '0.0.0.0' } } } }, 'ingest.mqtt.listen.host'],
    ['a writable Modbus register', { ingest: { modbus: [{ tcp: { host: '10.0.0.5' }, slaves: [{ unit: 1, device: 'm', points: [{ stream: 'v', fc: 3, address: 0, writable: true }] }] }] } }, 'ingest.modbus'],
    ['the gateway id', { gateway: { id: 'other' } }, 'gateway.id'],
    ['the outbox file', { store: { path: '/tmp/x.db' } }, 'store.path'],
  ];
  for (const [what, doc, key] of LOCAL_ONLY) {
    it(`refuses a document that sets ${what} (${key}), storing and pushing nothing`, async () => {
      await assert.rejects(svc.setDesired({ gateway: 'gw1' }, doc), (e: unknown) => e instanceof ConfigError && e.code === 'CONFIG_INVALID' && e.key === key && e.message.includes(key));
      assert.equal(await store.getDoc('gateway:gw1'), undefined);
      assert.equal(pushed.size, 0);
    });
  }
  it('accepts the cloud tuning keys that move nothing (keepalive, backoff) and the listener port', async () => {
    await svc.setDesired({ gateway: 'gw1' }, { cloud: { keepaliveSeconds: 20, backoffMaxMs: 5000 }, ingest: { mqtt: { listen: { port: 1884 } } } });
    assert.ok(pushed.has('config/gw1'));
  });

  // issue 23 item 2
  it('refuses a document with a prototype key, naming its path', async () => {
    const doc = JSON.parse('{"uplink":{"__proto__":{"polluted":1}}}') as Record<string, unknown>;
    await assert.rejects(svc.setDesired({ all: true }, doc), (e: unknown) => e instanceof ConfigError && e.key === 'uplink.__proto__');
    assert.equal(pushed.size, 0);
  });
  it('leaves out a stored document with a prototype key (stored by an older version) and logs it, without polluting', async () => {
    await svc.setDesired({ gateway: 'gw1' }, { uplink: { batchMaxReadings: 7 } });
    await store.putDoc('all', { version: await store.nextVersion(), doc: JSON.parse('{"__proto__":{"polluted":1},"ingest":{"rate":3}}') as Record<string, unknown> }, 0);
    const eff = await svc.effective('gw1');
    assert.deepEqual(JSON.parse(JSON.stringify(eff?.config)), { uplink: { batchMaxReadings: 7 } });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.level === 'error');
    assert.equal(logged?.scope, 'all');
    assert.equal(logged?.path, '__proto__');
  });

  describe('files.transport http and gateways with only a certificate (issue 20)', () => {
    const http = { files: { transport: 'http' } };
    beforeEach(async () => {
      // gw1 and gw2 above have no secret either; give them one, as every registration but a CSR's does.
      await registry.update('gw1', { secretHash: 'scrypt$x' });
      await registry.update('gw2', { secretHash: 'scrypt$x' });
      for (const id of ['cert1', 'cert2']) await registry.create({ id, kind: 'gateway', groups: ['north'], tags: {}, certSha256: 'ab'.repeat(32), enabled: true, createdAt: 0, online: false });
    });

    it('refuses it for one such gateway with CONFIG_CERTIFICATE_ONLY, naming both keys; nothing stored or pushed', async () => {
      await assert.rejects(svc.setDesired({ gateway: 'cert1' }, http), (e: any) => {
        assert.equal(e.code, 'CONFIG_CERTIFICATE_ONLY');
        assert.match(e.message, /files\.transport http .* cert1 .*identity\.csr/);
        assert.deepEqual(e.details, { key: 'files.transport', scope: 'gateway:cert1', gateways: ['cert1'] });
        return true;
      });
      assert.equal(await svc.effective('cert1'), undefined);
      assert.equal(pushed.size, 0);
      assert.ok(lines.some((l) => l.includes('desired config refused: files.transport http') && l.includes('gateway:cert1')));
      await svc.setDesired({ gateway: 'cert1' }, { files: { transport: 'mqtt' } });
      await svc.setDesired({ gateway: 'gw1' }, http);
    });

    it('refuses a group or all push that reaches any of them, listing every one; the others are not pushed either', async () => {
      for (const scope of [{ group: 'north' }, { all: true as const }]) {
        await assert.rejects(svc.setDesired(scope, http), (e: any) => e.code === 'CONFIG_CERTIFICATE_ONLY' && /cert1, cert2/.test(e.message) && e.details.gateways.join() === 'cert1,cert2');
      }
      assert.equal(pushed.size, 0);
      assert.deepEqual(await store.history(10), []);
    });

    it('checks the document each would run: a gateway-level mqtt keeps it out, and a later gateway-level http is refused', async () => {
      await svc.setDesired({ gateway: 'cert1' }, { files: { transport: 'mqtt' } });
      await svc.setDesired({ gateway: 'cert2' }, { files: { transport: 'mqtt' }, ingest: { tickMs: 5 } });
      const r = await svc.setDesired({ group: 'north' }, http);
      assert.deepEqual(r.gateways, ['cert1', 'cert2', 'gw1']);
      assert.equal(((await svc.effective('gw1'))!.config.files as any).transport, 'http');
      assert.equal(((await svc.effective('cert1'))!.config.files as any).transport, 'mqtt');
      // Dropping cert2's override now would hand it the group's http.
      await assert.rejects(svc.setDesired({ gateway: 'cert2' }, { ingest: { tickMs: 5 } }), (e: any) => e.code === 'CONFIG_CERTIFICATE_ONLY' && e.details.gateways.join() === 'cert2');
    });
  });
});
