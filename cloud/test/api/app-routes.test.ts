import assert from 'node:assert/strict';
import { startApi, type ApiFixture } from './fixtures/api-fixture.js';
import { firstLevelQueue } from '@causeway/broker';
import { propertiesFor } from '@causeway/shared';
import { verifySecret } from '../../src/identity/secret-hash.js';
import { parseAppToken } from '../../src/api/app-access.js';

describe('cloud/api/app-routes: scoped app credentials (issue 23 item 10)', () => {
  let api: ApiFixture;
  let token: string;
  beforeEach(async () => {
    api = await startApi();
    const created = await api.call('POST', '/v1/apps', { name: 'billing', read: ['telemetry'], publish: ['alerts/billing/#'] });
    assert.equal(created.status, 201);
    token = created.json.token;
  });
  afterEach(() => api.close());

  it('shows the token once and stores only a hash of its secret', async () => {
    assert.match(token, /^cwa_billing\./);
    const stored = await api.registry.get('billing');
    assert.equal(stored!.kind, 'app');
    assert.ok(await verifySecret(parseAppToken(token)!.secret, stored!.secretHash!));
    const listed = await api.call('GET', '/v1/apps');
    assert.deepEqual(listed.json.apps.map((a: { name: string; read: string[]; publish: string[] }) => [a.name, a.read, a.publish]), [['billing', ['telemetry'], ['alerts/billing/#']]]);
    assert.equal(JSON.stringify(listed.json).includes(parseAppToken(token)!.secret), false);
    assert.equal(JSON.stringify(listed.json).includes('scrypt'), false);
    assert.equal((await api.call('GET', '/v1/apps/billing')).json.name, 'billing');
    assert.equal((await api.call('POST', '/v1/apps', { name: 'billing' })).status, 409);
  });

  it('lets the app consume its queue: pull, ack, seek, lag', async () => {
    const topic = 'telemetry/gw1/d/t';
    await api.store.log.append({ topic, payload: Buffer.from('x'), qos: 1, retain: false, properties: propertiesFor(topic), createdAt: Date.now() }, [firstLevelQueue(topic)]);
    const pulled = await api.call('POST', '/v1/queues/telemetry/groups/billing/pull', { member: 'w1' }, token);
    assert.equal(pulled.status, 200);
    assert.equal(pulled.json.messages.length, 1);
    assert.equal((await api.call('POST', '/v1/queues/telemetry/groups/billing/ack', { member: 'w1', offsets: [pulled.json.messages[0].offset] }, token)).json.acked, 1);
    assert.equal((await api.call('GET', '/v1/queues/telemetry/groups/billing', undefined, token)).json.lag, 0);
    assert.equal((await api.call('POST', '/v1/queues/telemetry/groups/billing/seek', { member: 'w1', offset: 1 }, token)).status, 200);
  });

  const FORBIDDEN: Array<[string, string, string, unknown]> = [
    ['another queue', 'POST', '/v1/queues/events/groups/billing/pull', { member: 'w1' }],
    ['another queue\'s stream', 'GET', '/v1/queues/cmd-result/groups/billing/stream', undefined],
    ['the registry', 'GET', '/v1/devices', undefined],
    ['creating apps', 'POST', '/v1/apps', { name: 'evil', read: ['*'] }],
    ['the queue overview', 'GET', '/v1/queues', undefined],
    ['the stats', 'GET', '/v1/stats', undefined],
    ['a topic outside its filters', 'POST', '/v1/queues/alerts/messages', { mqttSecondTopic: '/ops/x', payload: 'x' }],
  ];
  for (const [what, method, path, body] of FORBIDDEN) {
    it(`answers 403 when the app reaches for ${what}`, async () => {
      const r = await api.call(method, path, body, token);
      assert.equal(r.status, 403);
      assert.equal(r.json.error.code, 'API_FORBIDDEN');
      assert.equal(api.counters.forbidden, 1);
      assert.equal(api.published.length, 0);
    });
  }

  it('lets the app publish within its filters, as itself', async () => {
    const r = await api.call('POST', '/v1/queues/alerts/messages', { mqttSecondTopic: '/billing/late', payload: 'x', clientId: 'gw1' }, token);
    assert.equal(r.status, 202);
    assert.equal(api.published[0]!.topic, 'alerts/billing/late');
    assert.equal(api.published[0]!.clientId, 'billing');
  });

  it('stops checking app secrets from a source after a burst of wrong ones (each costs an scrypt)', async () => {
    await api.close();
    api = await startApi({ authFailures: { burst: 2, refillPerSecond: 0 } });
    token = (await api.call('POST', '/v1/apps', { name: 'billing', read: ['telemetry'] })).json.token;
    const path = '/v1/queues/telemetry/groups/billing';
    const wrong = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    for (let i = 0; i < 2; i++) assert.equal((await api.call('GET', path, undefined, wrong)).status, 401);
    assert.equal((await api.call('GET', path, undefined, token)).status, 401, 'the source is refused even with the right token');
    assert.equal((await api.call('GET', path)).status, 200, 'the operator token is not an scrypt check and still works');
  });

  it('refuses the token once the app is revoked, disabled, or with a wrong secret', async () => {
    const path = '/v1/queues/telemetry/groups/billing';
    assert.equal((await api.call('GET', path, undefined, token)).status, 200);
    assert.equal((await api.call('GET', path, undefined, token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'))).status, 401);
    assert.equal((await api.call('GET', path, undefined, 'cwa_nobody.abc')).status, 401);
    await api.call('POST', '/v1/devices/billing/disable');
    assert.equal((await api.call('GET', path, undefined, token)).status, 401);
    await api.call('POST', '/v1/devices/billing/enable');
    assert.equal((await api.call('GET', path, undefined, token)).status, 200);
    assert.deepEqual((await api.call('DELETE', '/v1/apps/billing')).json, { deleted: 'billing' });
    assert.equal((await api.call('GET', path, undefined, token)).status, 401);
    assert.equal((await api.call('DELETE', '/v1/apps/billing')).status, 404);
  });

  const BAD: Array<[string, unknown]> = [
    ['no name', { read: ['telemetry'] }],
    ['a name with a slash', { name: 'a/b' }],
    ['an unknown queue', { name: 'x', read: ['cmd'] }],
    ['a command filter', { name: 'x', publish: ['cmd/#'] }],
    ['a bad filter', { name: 'x', publish: ['a/#/b'] }],
    ['read that is not a list', { name: 'x', read: 'telemetry' }],
  ];
  for (const [what, body] of BAD) {
    it(`answers 400 to an app with ${what}`, async () => {
      const r = await api.call('POST', '/v1/apps', body);
      assert.equal(r.status, 400);
      assert.equal(typeof r.json.error.message, 'string');
    });
  }
});
