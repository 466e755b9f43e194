import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverQueue } from '@causeway/broker';
import { fleetPage, fromGateway } from '../../src/api/console-routes.js';
import type { ConfigStatusRow } from '../../src/control/config-service.js';
import type { RegistryEntry } from '../../src/identity/registry/contract.js';
import { startApi, type ApiFixture } from './fixtures/api-fixture.js';

const gw = (id: string, o: Partial<RegistryEntry> = {}): RegistryEntry => ({ id, kind: 'gateway', groups: [], tags: {}, enabled: true, createdAt: 1, online: false, ...o });

describe('cloud/api/console-routes', () => {
  describe('fleetPage (pure)', () => {
    const entries = [gw('c', { online: true }), gw('a', { online: true }), gw('b'), gw('d', { enabled: false }), gw('e')];
    const status = new Map<string, ConfigStatusRow>([
      ['a', { gateway: 'a', desiredVersion: 3, reportedVersion: 3, status: 'APPLIED', inSync: true }],
      ['b', { gateway: 'b', desiredVersion: 3, reportedVersion: 2, status: 'APPLIED', inSync: false }],
      ['e', { gateway: 'e', inSync: false }],
    ]);

    it('counts the whole selection, pages it sorted by id, and joins the config state and agent version', () => {
      const p = fleetPage(entries, status, new Map([['a', '1.2.3']]), { offset: 1, limit: 2 });
      assert.deepEqual(p.counts, { gateways: 5, online: 2, offline: 3, inSync: 1, drifted: 1, disabled: 1 });
      assert.equal(p.total, 5);
      assert.deepEqual(p.rows.map((r) => r.id), ['b', 'c']);
      assert.equal(p.rows[0]!.config?.reportedVersion, 2);
      assert.equal(fleetPage(entries, status, new Map([['a', '1.2.3']]), { offset: 0, limit: 1 }).rows[0]!.agentVersion, '1.2.3');
    });

    it('filters by state after counting, and by an id substring before', () => {
      assert.deepEqual(fleetPage(entries, status, new Map(), { state: 'online', offset: 0, limit: 10 }).rows.map((r) => r.id), ['a', 'c']);
      assert.deepEqual(fleetPage(entries, status, new Map(), { state: 'drift', offset: 0, limit: 10 }).rows.map((r) => r.id), ['b'], 'no desired version is not drift');
      assert.deepEqual(fleetPage(entries, status, new Map(), { state: 'disabled', offset: 0, limit: 10 }).rows.map((r) => r.id), ['d']);
      const q = fleetPage(entries, status, new Map(), { q: 'C', offset: 0, limit: 10 });
      assert.equal(q.counts.gateways, 1);
      assert.equal(q.total, 1);
    });

    it('never returns a secret hash', () => {
      const p = fleetPage([gw('x', { secretHash: 'scrypt$…' })], new Map(), new Map(), { offset: 0, limit: 10 });
      assert.equal('secretHash' in p.rows[0]!, false);
      assert.equal(p.rows[0]!.hasSecret, true);
    });
  });

  it('fromGateway reads the second topic level', () => {
    assert.equal(fromGateway('telemetry/gw1/th-1/temp', 'gw1'), true);
    assert.equal(fromGateway('status/gw1', 'gw1'), true);
    assert.equal(fromGateway('telemetry/gw10/th-1/temp', 'gw1'), false);
    assert.equal(fromGateway('telemetry', 'gw1'), false);
  });

  describe('over HTTP', () => {
    let api: ApiFixture;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'cw-console-assets-'));
      writeFileSync(join(dir, 'index.html'), '<!doctype html><title>c</title><script type="module" src="/console.js"></script>');
      writeFileSync(join(dir, 'console.js'), 'export {};');
      api = await startApi({ consoleDir: dir });
    });
    after(async () => {
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('serves the console files without a token, with a strict CSP; anything else still needs the token', async () => {
      for (const [path, type] of [['/', 'text/html'], ['/index.html', 'text/html'], ['/console.js', 'text/javascript']] as const) {
        const res = await fetch(api.base + path);
        assert.equal(res.status, 200, path);
        assert.match(res.headers.get('content-type') ?? '', new RegExp(type));
        assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self'; style-src 'self'/);
        assert.equal(res.headers.get('x-frame-options'), 'DENY');
      }
      assert.equal((await fetch(api.base + '/', { method: 'HEAD' })).status, 200);
      assert.equal((await fetch(api.base + '/../etc/passwd')).status, 401, 'only the listed files');
      assert.equal((await fetch(api.base + '/console.js', { method: 'POST' })).status, 401);
      assert.equal((await api.call('GET', '/v1/fleet', undefined, '')).status, 401);
    });

    it('GET /v1/fleet: one page with the counts; bad state is a 400', async () => {
      for (let i = 0; i < 5; i++) await api.registry.create(gw(`gw-${i}`, { groups: [i % 2 === 0 ? 'even' : 'odd'], online: i < 2 }));
      await api.registry.create({ ...gw('dev-1'), kind: 'device', gateway: 'gw-0' });
      const all = await api.call('GET', '/v1/fleet?limit=2&offset=2');
      assert.equal(all.status, 200);
      assert.equal(all.json.total, 5);
      assert.deepEqual(all.json.gateways.map((g: { id: string }) => g.id), ['gw-2', 'gw-3']);
      assert.equal(all.json.counts.online, 2);
      const even = await api.call('GET', '/v1/fleet?group=even&state=offline');
      assert.deepEqual(even.json.gateways.map((g: { id: string }) => g.id), ['gw-2', 'gw-4']);
      assert.equal(even.json.counts.gateways, 3);
      assert.equal((await api.call('GET', '/v1/fleet?state=sideways')).json.error.code, 'API_BAD_REQUEST');
    });

    it('GET /v1/queues/{q}/recent: the newest messages of one gateway, oldest first, without a consumer group', async () => {
      const props = { qoslevel: 1 as const, cleansessionflag: false };
      for (let i = 0; i < 30; i++) {
        const g = i % 3 === 0 ? 'gw-x' : 'gw-y';
        await api.store.log.append({ topic: `telemetry/${g}/d/t`, payload: Buffer.from(String(i)), qos: 1, properties: { ...props, mqttRealTopic: `telemetry/${g}/d/t`, mqttSecondTopic: `/${g}/d/t` }, createdAt: i } as any, [serverQueue('telemetry')]);
      }
      const r = await api.call('GET', '/v1/queues/telemetry/recent?gateway=gw-x&limit=3');
      assert.equal(r.status, 200);
      assert.deepEqual(r.json.messages.map((m: { payloadBase64: string }) => Buffer.from(m.payloadBase64, 'base64').toString()), ['21', '24', '27']);
      assert.equal((await api.call('GET', '/v1/queues/telemetry/recent?limit=2')).json.messages.length, 2);
      assert.equal((await api.call('GET', '/v1/queues/nope/recent')).status, 404);
      assert.deepEqual(await api.call('GET', '/v1/queues').then((q) => q.json.queues.flatMap((x: { groups: unknown[] }) => x.groups)), [], 'no group was created');
    });
  });
});
