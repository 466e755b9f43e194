import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { createApiServer, type PublishRequest } from '../../src/api/api-server.js';
import { MemoryRegistry } from '../../src/identity/registry/memory-registry.js';
import { QueueService } from '../../src/queues/queue-service.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import type { BrokerStore } from '../../src/store/contract.js';
import { firstLevelQueue, topicQueue } from '../../src/store/queue-names.js';
import { propertiesFor } from '../../../shared/src/properties/message-properties.js';
import { encodeEnvelope } from '../../../shared/src/codec/envelope-codec.js';
import { verifySecret } from '../../src/identity/secret-hash.js';
import { verifyToken } from '../../src/identity/access-token.js';
import { silentLogger } from '../../../shared/src/log/logger.js';

describe('cloud/api/api-server (real HTTP)', () => {
  let server: Server;
  let base: string;
  let store: BrokerStore;
  let registry: MemoryRegistry;
  let queues: QueueService;
  const published: PublishRequest[] = [];
  const disconnected: string[] = [];
  const tokenKey = randomBytes(32);
  const TOKEN = 'op-' + randomBytes(8).toString('hex');

  const call = async (method: string, path: string, body?: unknown, token = TOKEN): Promise<{ status: number; json: any }> => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };

  beforeEach(async () => {
    store = createMemoryStore();
    registry = new MemoryRegistry();
    queues = new QueueService(store.log, store.offsets, { visibilityTimeoutMs: 30_000, window: 1000 });
    published.length = 0;
    disconnected.length = 0;
    server = createApiServer({
      registry,
      queues,
      log: store.log,
      operatorToken: TOKEN,
      tokenKey,
      publish: async (r) => {
        published.push(r);
      },
      disconnect: (id) => disconnected.push(id),
      logger: silentLogger,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await store.close();
  });

  it('refuses requests without the operator token, except /v1/health', async () => {
    assert.equal((await call('GET', '/v1/devices', undefined, '')).status, 401);
    assert.equal((await call('GET', '/v1/devices', undefined, 'wrong')).status, 401);
    assert.equal((await call('GET', '/v1/health', undefined, '')).status, 200);
  });

  it('creates a device, shows its secret once, and stores only a hash', async () => {
    const r = await call('POST', '/v1/devices', { id: 'gw1', kind: 'gateway', groups: ['north'], tags: { kind: 'rsu' } });
    assert.equal(r.status, 201);
    assert.equal(typeof r.json.secret, 'string');
    assert.equal(r.json.device.secretHash, undefined);
    const stored = await registry.get('gw1');
    assert.ok(await verifySecret(r.json.secret, stored!.secretHash!));
    const got = await call('GET', '/v1/devices/gw1');
    assert.equal(got.json.id, 'gw1');
    assert.equal(got.json.secret, undefined);
    assert.equal((await call('POST', '/v1/devices', { id: 'gw1' })).status, 409);
    assert.deepEqual((await call('GET', '/v1/devices?group=north')).json.devices.map((d: { id: string }) => d.id), ['gw1']);
    assert.deepEqual((await call('GET', '/v1/groups')).json.groups, [{ name: 'north', members: ['gw1'] }]);
  });

  const BAD: Array<[string, unknown, number]> = [
    ['an id with a slash', { id: 'a/b' }, 400],
    ['an unknown kind', { id: 'x', kind: 'toaster' }, 400],
    ['tags that are not strings', { id: 'x', tags: { a: 1 } }, 400],
    ['a body that is not JSON', '{oops', 400],
    ['a body that is an array', '[1]', 400],
  ];
  for (const [what, body, status] of BAD) {
    it(`answers ${status} for ${what}`, async () => {
      const r = await call('POST', '/v1/devices', body);
      assert.equal(r.status, status);
      assert.equal(typeof r.json.error.message, 'string');
    });
  }

  // issue 23 item 2: refused before any route sees it, naming the path
  it('answers 400 JSON_UNSAFE_KEY naming the path for a prototype key at any depth, and creates nothing', async () => {
    for (const [body, path] of [
      ['{"id":"x","__proto__":{"polluted":1}}', '__proto__'],
      ['{"id":"x","groups":[],"tags":{"a":"b"},"extra":[{"constructor":{"prototype":{"polluted":1}}}]}', 'extra[0].constructor'],
    ] as const) {
      const r = await call('POST', '/v1/devices', body);
      assert.equal(r.status, 400);
      assert.equal(r.json.error.code, 'JSON_UNSAFE_KEY');
      assert.match(r.json.error.message, new RegExp(`at ${path.replace(/[[\]]/g, '\\$&')} `));
    }
    assert.equal(await registry.get('x'), undefined);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('disables (and disconnects), rotates and issues tokens', async () => {
    const created = await call('POST', '/v1/devices', { id: 'gw2' });
    assert.equal((await call('POST', '/v1/devices/gw2/disable')).json.enabled, false);
    assert.deepEqual(disconnected, ['gw2']);
    const rotated = await call('POST', '/v1/devices/gw2/rotate');
    assert.notEqual(rotated.json.secret, created.json.secret);
    assert.ok(await verifySecret(rotated.json.secret, (await registry.get('gw2'))!.secretHash!));
    const tok = await call('POST', '/v1/devices/gw2/token', { ttlSeconds: 120 });
    assert.equal(verifyToken(tokenKey, tok.json.token, 'gw2').ok, true);
    assert.equal((await call('POST', '/v1/devices/nope/token', {})).status, 404);
  });

  it('serves a queue to a consumer group: pull, ack, lag, replay', async () => {
    for (let i = 0; i < 3; i++) {
      const topic = `telemetry/gw1/d${i}/temp`;
      const payload = encodeEnvelope({ v: 1, type: 'batch', id: `b${i}`, gateway: 'gw1', device: `d${i}`, stream: 'temp', readings: [{ seq: i, ts: 1, value: i }] });
      await store.log.append({ topic, payload, qos: 1, retain: false, properties: propertiesFor(topic, { clientId: 'gw1' }), createdAt: Date.now() }, [firstLevelQueue(topic), topicQueue(topic)]);
    }
    const pulled = await call('POST', '/v1/queues/telemetry/groups/analytics/pull', { member: 'w1', max: 10 });
    assert.equal(pulled.status, 200);
    assert.equal(pulled.json.messages.length, 3);
    const m0 = pulled.json.messages[0];
    assert.equal(m0.properties.mqttSecondTopic, '/gw1/d0/temp');
    assert.equal(m0.envelope.type, 'batch');
    assert.equal((await call('GET', '/v1/queues/telemetry/groups/analytics')).json.lag, 3);
    const acked = await call('POST', '/v1/queues/telemetry/groups/analytics/ack', { member: 'w1', offsets: pulled.json.messages.map((m: { offset: number }) => m.offset) });
    assert.equal(acked.json.acked, 3);
    assert.equal((await call('GET', '/v1/queues/telemetry/groups/analytics')).json.lag, 0);
    await call('POST', '/v1/queues/telemetry/groups/analytics/seek', { member: 'w1', offset: 2 });
    assert.equal((await call('POST', '/v1/queues/telemetry/groups/analytics/pull', { member: 'w1' })).json.messages.length, 2);
    const list = await call('GET', '/v1/queues');
    assert.equal(list.json.queues.find((q: { queue: string }) => q.queue === 'telemetry').nextOffset, 4);
  });

  it('streams a queue as server-sent events', async () => {
    const topic = 'events/gw1/d/alarm';
    await store.log.append({ topic, payload: Buffer.from('{"x":1}'), qos: 1, retain: false, properties: propertiesFor(topic), createdAt: Date.now() }, [firstLevelQueue(topic)]);
    const ac = new AbortController();
    const res = await fetch(`${base}/v1/queues/events/groups/tail/stream?member=cli`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: ac.signal });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const deadline = Date.now() + 5000;
    while (!text.includes('event: message') && Date.now() < deadline) text += new TextDecoder().decode((await reader.read()).value);
    ac.abort();
    assert.match(text, /"topic":"events\/gw1\/d\/alarm"/);
  });

  it('sends to a device through a queue using mqttSecondTopic', async () => {
    const r = await call('POST', '/v1/queues/cmd/messages', { mqttSecondTopic: '/gw1/relay/c1', payload: '{"v":1}', qoslevel: 1 });
    assert.equal(r.status, 202);
    assert.equal(published[0]!.topic, 'cmd/gw1/relay/c1');
    assert.equal((await call('POST', '/v1/queues/cmd/messages', { mqttSecondTopic: 'no-slash', payload: 'x' })).status, 400);
    assert.equal((await call('POST', '/v1/queues/cmd/messages', { mqttRealTopic: 'telemetry/a', payload: 'x' })).status, 400);
  });

  it('answers 404 for unknown routes and 405 for a wrong method', async () => {
    assert.equal((await call('GET', '/v1/nothing')).status, 404);
    assert.equal((await call('PUT', '/v1/devices')).status, 405);
  });
});
