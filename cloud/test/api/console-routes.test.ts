import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverQueue } from '@causeway/broker';
import { fleetPage, fromGateway } from '../../src/api/console-routes.js';
import type { ConfigStatusRow } from '../../src/control/config-service.js';
import type { GatewayStatusRecord } from '../../src/fleet/fleet-store.js';
import { parseWhere } from '../../src/fleet/where.js';
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

    it('joins each gateway\'s latest health and filters with the where language of /v1/gateways, before counting', () => {
      const health = (records: number): NonNullable<GatewayStatusRecord['health']> => ({ uptimeSeconds: 5, outbox: { records, bytes: records * 10, oldestAgeSeconds: records }, evictions: 2, expiries: 0, diskFreeBytes: 1e9, memFreeBytes: 1e8, rssBytes: 1, ports: [], configVersion: 3 });
      const statuses = new Map<string, GatewayStatusRecord>([
        ['a', { gateway: 'a', online: true, agentVersion: '2.0.0', health: health(5000), reportedAt: 10, receivedAt: 12, clockOffsetMs: -2 }],
        ['c', { gateway: 'c', online: true, health: health(0), reportedAt: 10, receivedAt: 10 }],
      ]);
      const p = fleetPage(entries, status, new Map([['a', '1.0.0']]), { statuses, where: parseWhere('backlog>1000'), offset: 0, limit: 10 });
      assert.deepEqual(p.rows.map((r) => r.id), ['a']);
      assert.equal(p.counts.gateways, 1, 'the counts are over what the filter selects');
      assert.equal(p.rows[0]!.status?.health?.outbox.records, 5000);
      assert.equal(p.rows[0]!.status?.clockOffsetMs, -2);
      assert.equal(p.rows[0]!.agentVersion, '2.0.0', 'the status store\'s version wins over the retained one');
      const off = fleetPage(entries, status, new Map(), { statuses, where: parseWhere('online=false, offline>=0s'), now: 5000, offset: 0, limit: 10 });
      assert.deepEqual(off.rows.map((r) => r.id), [], 'never seen: no offline duration, the clause does not hold');
      const seen = fleetPage([gw('z', { lastSeenAt: 1000 })], new Map(), new Map(), { where: parseWhere('offline>3s'), now: 5000, offset: 0, limit: 10 });
      assert.deepEqual(seen.rows.map((r) => [r.id, r.offlineSeconds]), [['z', 4]]);
      assert.equal(fleetPage(entries, status, new Map(), { statuses, offset: 0, limit: 10 }).total, 5, 'no where: every gateway');
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
      const bad = await api.call('GET', `/v1/fleet?where=${encodeURIComponent('temperature>3')}`);
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error.code, 'WHERE_INVALID');
      assert.match(bad.json.error.message, /unknown field "temperature"/);
      assert.deepEqual((await api.call('GET', `/v1/fleet?where=${encodeURIComponent('group=even and online=false')}`)).json.gateways.map((g: { id: string }) => g.id), ['gw-2', 'gw-4']);
    });

    it('GET /v1/fleet/stream: the page pushed, then again when it changes; a bad query is a 400 before the stream opens', async () => {
      const bad = await fetch(`${api.base}/v1/fleet/stream?where=${encodeURIComponent('backlog>lots')}`, { headers: { authorization: `Bearer ${api.token}` } });
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as any).error.code, 'WHERE_INVALID');
      const ac = new AbortController();
      const res = await fetch(`${api.base}/v1/fleet/stream?group=pushed`, { headers: { authorization: `Bearer ${api.token}` }, signal: ac.signal });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      const nextEvent = async (): Promise<{ event: string; data: any }> => {
        for (;;) {
          const end = buf.indexOf('\n\n');
          if (end >= 0) {
            const block = buf.slice(0, end);
            buf = buf.slice(end + 2);
            if (block.startsWith(':')) continue;
            return { event: /^event: (.*)$/m.exec(block)![1]!, data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!) };
          }
          const { value, done } = await reader.read();
          if (done) throw new Error('the stream ended');
          buf += value;
        }
      };
      const first = await nextEvent();
      assert.equal(first.event, 'fleet');
      assert.equal(first.data.total, 0);
      await api.registry.create(gw('gw-pushed', { groups: ['pushed'], online: true }));
      const second = await nextEvent();
      assert.deepEqual([second.event, second.data.total, second.data.counts.online, second.data.gateways[0].id], ['fleet', 1, 1, 'gw-pushed']);
      ac.abort();
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
