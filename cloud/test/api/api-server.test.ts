import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { createApiServer, type PublishRequest } from '../../src/api/api-server.js';
import { MemoryRegistry } from '../../src/identity/registry/memory-registry.js';
import { QueueService } from '../../src/queues/queue-service.js';
import { createMemoryStore, type BrokerStore, firstLevelQueue, topicQueue } from '@causeway/broker';
import { propertiesFor, encodeEnvelope, createLogger, silentLogger } from '@causeway/shared';
import { verifySecret } from '../../src/identity/secret-hash.js';
import { verifyToken } from '../../src/identity/access-token.js';
import net from 'node:net';
import { startApi, type ApiFixture } from './fixtures/api-fixture.js';
import { rawRequest, statusOf } from './fixtures/raw-http.js';
import { sleep, until } from '../e2e/fixtures/broker-process.js';

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

  it('revokes a certificate (issue 20): recorded once, the session disconnected, counted; unknown id 404', async () => {
    await registry.create({ id: 'gw-c', kind: 'gateway', groups: [], tags: {}, certSha256: 'ef'.repeat(32), enabled: true, createdAt: 1, online: true });
    const r = await call('POST', '/v1/devices/gw-c/revoke-cert');
    assert.equal(r.status, 200);
    assert.equal(r.json.certSha256, 'ef'.repeat(32));
    assert.equal(r.json.hasSecret, false);
    assert.ok(Math.abs(r.json.certRevokedAt - Date.now()) < 5000);
    assert.deepEqual(disconnected, ['gw-c']);
    const again = await call('POST', '/v1/devices/gw-c/revoke-cert');
    assert.equal(again.json.certRevokedAt, r.json.certRevokedAt, 'the first revocation time stays');
    assert.deepEqual(disconnected, ['gw-c'], 'nothing to close the second time');
    assert.equal((await call('GET', '/v1/stats')).json.api.certsRevoked, 1);
    assert.equal((await call('POST', '/v1/devices/nope/revoke-cert')).status, 404);
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

  it('publishes on an application topic using mqttSecondTopic', async () => {
    const r = await call('POST', '/v1/queues/alerts/messages', { mqttSecondTopic: '/site1/door', payload: '{"v":1}', qoslevel: 1 });
    assert.equal(r.status, 202);
    assert.equal(published[0]!.topic, 'alerts/site1/door');
    assert.equal((await call('POST', '/v1/queues/alerts/messages', { mqttSecondTopic: 'no-slash', payload: 'x' })).status, 400);
    assert.equal((await call('POST', '/v1/queues/alerts/messages', { mqttRealTopic: 'telemetry/a', payload: 'x' })).status, 400);
  });

  it('publishes into _root on a topic with an empty first level, and lists _root among the queues (issue 15)', async () => {
    const r = await call('POST', '/v1/queues/_root/messages', { mqttSecondTopic: '/sensors/x', payload: '{"v":1}' });
    assert.equal(r.status, 202);
    assert.equal(published[0]!.topic, '/sensors/x');
    assert.equal((await call('POST', '/v1/queues/_root/messages', { mqttRealTopic: '/sensors/y', payload: 'x' })).status, 202);
    assert.equal(published[1]!.topic, '/sensors/y');
    // a topic elsewhere is not in _root, and "/x" is not in "alerts"
    assert.equal((await call('POST', '/v1/queues/_root/messages', { mqttRealTopic: 'alerts/x', payload: 'x' })).status, 400);
    assert.equal((await call('POST', '/v1/queues/alerts/messages', { mqttRealTopic: '/x', payload: 'x' })).status, 400);
    const list = await call('GET', '/v1/queues');
    assert.deepEqual(list.json.queues.map((q: { queue: string }) => q.queue), ['telemetry', 'events', 'cmd-result', 'config-reported', 'status', 'file-req', 'cert-req', '_root', 'dead-letter']);
  });

  // Issue 23 item 10: commands and config go through their services (size limits, tracking), not raw.
  const RAW_REFUSED: Array<[string, string, Record<string, unknown>, number]> = [
    ['a command topic', 'cmd', { mqttSecondTopic: '/gw1/relay/c1' }, 403],
    ['a group command topic', 'cmd-group', { mqttSecondTopic: '/north/c1' }, 403],
    ['a broadcast command topic', 'cmd-all', { mqttSecondTopic: '/c1' }, 403],
    ['a desired-config topic', 'config', { mqttSecondTopic: '/gw1' }, 403],
    ['a ".." level', 'alerts', { mqttSecondTopic: '/../cmd/gw1/relay/c1' }, 400],
    ['a "." level', 'alerts', { mqttSecondTopic: '/a/./b' }, 400],
    // a "$" first level is not a valid queue name (id rules, item 12): refused before the topic is built
    ['a "$" topic', '$SYS', { mqttSecondTopic: '/x' }, 400],
    ['a gateway\'s command result', 'cmd-result', { mqttSecondTopic: '/gw1/relay/c1' }, 403],
    ['a gateway\'s config report', 'config-reported', { mqttSecondTopic: '/gw1' }, 403],
  ];
  for (const [what, queue, props, status] of RAW_REFUSED) {
    it(`refuses to publish raw on ${what} (${status})`, async () => {
      const r = await call('POST', `/v1/queues/${encodeURIComponent(queue)}/messages`, { ...props, payload: 'x' });
      assert.equal(r.status, status);
      assert.equal(typeof r.json.error.message, 'string');
      assert.equal(published.length, 0);
    });
  }

  it('refuses consumer group names starting with "_" (the control plane\'s own)', async () => {
    const r = await call('POST', '/v1/queues/cmd-result/groups/_control/pull', { member: 'm' });
    assert.equal(r.status, 400);
    assert.match(r.json.error.message, /reserved/);
    assert.equal((await call('GET', '/v1/queues/telemetry/groups/_x')).status, 400);
  });

  it('answers 404 for unknown routes and 405 for a wrong method', async () => {
    assert.equal((await call('GET', '/v1/nothing')).status, 404);
    assert.equal((await call('PUT', '/v1/devices')).status, 405);
  });
});

describe('cloud/api/api-server: hygiene (issue 23 items 1 and 16)', () => {
  let api: ApiFixture | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('answers 401 to an unauthenticated request whatever its path or method, so routes are not revealed', async () => {
    api = await startApi();
    for (const [method, path] of [['GET', '/v1/nothing'], ['PUT', '/v1/devices'], ['POST', '/v1/health'], ['GET', '/'], ['DELETE', '/v1/apps/x']] as const) {
      const r = await api.call(method, path, undefined, '');
      assert.equal(r.status, 401, `${method} ${path}`);
      assert.equal(r.json.error.code, 'API_UNAUTHORIZED');
    }
    assert.equal((await api.call('GET', '/v1/nothing', undefined, 'wrong')).status, 401);
    assert.equal(api.counters.unauthorized, 6);
    assert.equal((await api.call('GET', '/v1/health', undefined, '')).status, 200);
    // with the token, routing answers as before
    assert.equal((await api.call('GET', '/v1/nothing')).status, 404);
    assert.equal((await api.call('PUT', '/v1/devices')).status, 405);
  });

  const MALFORMED: Array<[string, string]> = [
    ['a URL the WHATWG parser refuses', 'GET //[ HTTP/1.1'],
    ['an asterisk target', 'GET * HTTP/1.1'],
    ['an absolute-form target', 'GET http://x/v1/health HTTP/1.1'],
  ];
  for (const [what, line] of MALFORMED) {
    it(`answers 400 with a JSON error to ${what}, and keeps serving`, async () => {
      api = await startApi();
      const { response } = await rawRequest(api.port, `${line}\r\nHost: x\r\nAuthorization: Bearer ${api.token}\r\nConnection: close\r\n\r\n`);
      assert.equal(statusOf(response), 400, response);
      assert.equal(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)).error.code, 'API_BAD_REQUEST');
      assert.equal(api.counters.badRequests, 1);
      assert.equal((await api.call('GET', '/v1/health')).status, 200);
    });
  }

  it('answers 400 to an unparseable request line and counts it as a client error', async () => {
    api = await startApi();
    const { response, closedByServer } = await rawRequest(api.port, 'NOT HTTP AT ALL\r\n\r\n');
    assert.equal(statusOf(response), 400, response);
    assert.match(response, /"code":"API_BAD_REQUEST"/);
    assert.ok(closedByServer);
    assert.equal(api.counters.clientErrors, 1);
  });

  it('answers 408 and closes a connection whose headers come too slowly (api.headersTimeoutMs)', async () => {
    api = await startApi({ headersTimeoutMs: 400, requestTimeoutMs: 2000 });
    const socket = net.connect(api.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    let got = '';
    socket.on('data', (c) => (got += c.toString()));
    const closed = new Promise<number>((r) => socket.once('close', () => r(Date.now())));
    const started = Date.now();
    socket.write('GET /v1/health HTTP/1.1\r\nHost: x\r\n');
    // one header byte every 100 ms: never a complete header block (slowloris)
    const drip = setInterval(() => socket.writable && socket.write('X'), 100);
    const at = await Promise.race([closed, sleep(10_000).then(() => -1)]);
    clearInterval(drip);
    socket.destroy();
    assert.notEqual(at, -1, 'the server still holds the connection after 10 s');
    assert.ok(at - started < 5000, `closed after ${at - started} ms`);
    assert.equal(statusOf(got), 408, got);
    assert.ok(api.counters.clientErrors >= 1);
  });

  it('lets a long-poll answer after api.requestTimeoutMs: the timeout covers receiving the request only', async () => {
    api = await startApi({ headersTimeoutMs: 200, requestTimeoutMs: 400 });
    const started = Date.now();
    const r = await api.call('POST', '/v1/queues/telemetry/groups/slow/pull', { member: 'm', waitMs: 1500 });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.messages, []);
    assert.ok(Date.now() - started >= 1400, `answered after ${Date.now() - started} ms`);
  });

  it('caps open event streams (api.maxStreams): one more is a 503 with a clear error, counted', async () => {
    api = await startApi({ maxStreams: 1 });
    const ac = new AbortController();
    const first = await fetch(`${api.base}/v1/queues/events/groups/tail/stream?member=a`, { headers: { authorization: `Bearer ${api.token}` }, signal: ac.signal });
    assert.equal(first.status, 200);
    const second = await api.call('GET', '/v1/queues/events/groups/tail2/stream?member=b');
    assert.equal(second.status, 503);
    assert.equal(second.json.error.code, 'API_BUSY');
    assert.match(second.json.error.message, /api\.maxStreams/);
    assert.equal(api.counters.streamsRefused, 1);
    assert.equal(api.counters.streamsOpen, 1);
    ac.abort();
    const a = api;
    await until(() => a.counters.streamsOpen === 0, 5000, 'the closed stream to give its slot back');
    const ac3 = new AbortController();
    const third = await fetch(`${api.base}/v1/queues/events/groups/tail/stream?member=a`, { headers: { authorization: `Bearer ${api.token}` }, signal: ac3.signal });
    assert.equal(third.status, 200);
    ac3.abort();
  });

  it('answers an unexpected exception with a 500, logs it without the token, counts it, and keeps serving', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (l: string) => void lines.push(l) });
    api = await startApi({
      logger,
      stats: async () => {
        throw new Error('boom');
      },
    });
    const r = await api.call('GET', '/v1/stats');
    assert.equal(r.status, 500);
    assert.deepEqual(r.json, { error: { code: 'INTERNAL', message: 'internal error' } });
    assert.equal(api.counters.internalErrors, 1);
    assert.ok(lines.some((l) => l.includes('api request failed') && l.includes('boom')), lines.join('\n'));
    assert.ok(!lines.some((l) => l.includes(api!.token)));
    assert.equal((await api.call('GET', '/v1/devices')).status, 200);
  });

  it('answers a store that failed or is closing with a 503, Retry-After and the store code, counts it, and keeps serving', async () => {
    const lines: string[] = [];
    api = await startApi({ logger: createLogger({ level: 'debug', write: (l: string) => void lines.push(l) }) });
    await api.store.close();
    const res = await fetch(`${api.base}/v1/queues/telemetry/recent`, { headers: { authorization: `Bearer ${api.token}` } });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '5');
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'STORE_CLOSED');
    assert.equal(api.counters.unavailable, 1);
    assert.equal(api.counters.internalErrors, 0);
    assert.ok(lines.some((l) => l.includes('api request failed') && l.includes('STORE_CLOSED')), lines.join('\n'));
    assert.equal((await api.call('GET', '/v1/devices')).status, 200, 'routes that do not need the store still answer');
  });
});
