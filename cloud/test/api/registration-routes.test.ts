import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openSqliteControlStore } from '../../src/control/sqlite-control-store.js';
import type { ControlStore } from '../../src/control/control-store.js';
import { verifySecret } from '../../src/identity/secret-hash.js';
import { startApi, type ApiFixture } from './fixtures/api-fixture.js';

describe('api/registration-routes: the approval queue of claims (issue 20)', () => {
  let api: ApiFixture;
  let control: ControlStore;
  beforeEach(async () => {
    control = openSqliteControlStore(':memory:');
    api = await startApi({ claims: control.claims, registrations: control.registrations, pendingRetrySeconds: 7, fleet: control.fleet, kdfLogN: 10 });
  });
  afterEach(async () => {
    await api.close();
    await control.close();
  });

  const claim = async (extra: Record<string, unknown> = {}): Promise<{ id: string; token: string }> => {
    const c = await api.call('POST', '/v1/claims', { approval: true, maxUses: 5, groups: ['north'], tags: { lot: '7' }, ...extra });
    assert.equal(c.status, 201, JSON.stringify(c.json));
    assert.equal(c.json.claim.approval, true);
    return { id: c.json.claim.id, token: c.json.token };
  };
  const secret = (): string => randomBytes(32).toString('base64url');
  const register = (token: string, id: string, s: string) => api.call('POST', '/v1/register', { claimToken: token, id, secret: s }, '');

  it('waits as pending (202, retryAfterSeconds) until approved; then 201 and the registry has the secret the gateway sent', async () => {
    const c = await claim();
    const s = secret();
    const r1 = await register(c.token, 'gw-1', s);
    assert.deepEqual([r1.status, r1.json], [202, { id: 'gw-1', state: 'pending', retryAfterSeconds: 7 }]);
    const r2 = await register(c.token, 'gw-1', s);
    assert.equal(r2.status, 202, 'asking again is the same request');
    assert.equal((await control.claims.get(c.id))!.uses, 1, 'one use for one request');
    assert.equal(await api.registry.get('gw-1'), undefined, 'not registered before approval');
    const list = await api.call('GET', '/v1/registrations?state=pending');
    assert.deepEqual(list.json.registrations.map((x: any) => [x.gateway, x.claimId, x.state, x.secretSha256, x.secretHash]), [['gw-1', c.id, 'pending', undefined, undefined]]);
    assert.equal((await api.call('GET', '/v1/registrations', undefined, '')).status, 401, 'operators only');
    const ok = await api.call('POST', '/v1/registrations/gw-1/approve');
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.equal(ok.json.state, 'approved');
    const entry = (await api.registry.get('gw-1'))!;
    assert.deepEqual([entry.groups, entry.tags, entry.enabled], [['north'], { lot: '7', claim: c.id }, true]);
    assert.equal(await verifySecret(s, entry.secretHash!), true);
    const r3 = await register(c.token, 'gw-1', s);
    assert.deepEqual([r3.status, r3.json.state, r3.json.secret], [201, 'approved', undefined]);
    assert.equal((await api.call('POST', '/v1/registrations/gw-1/approve')).status, 409);
    assert.equal((await api.call('POST', '/v1/registrations/gw-1/reject')).status, 409);
    assert.equal((await api.call('POST', '/v1/registrations/nope/approve')).status, 404);
  });

  it('another secret for a pending id is refused (409) and learns nothing; a request without a secret is 400', async () => {
    const c = await claim();
    await register(c.token, 'gw-2', secret());
    const other = await register(c.token, 'gw-2', secret());
    assert.deepEqual([other.status, other.json.error.code], [409, 'REGISTRATION_CONFLICT']);
    const none = await api.call('POST', '/v1/register', { claimToken: c.token, id: 'gw-3' }, '');
    assert.equal(none.status, 400);
    assert.equal((await control.claims.get(c.id))!.uses, 1);
  });

  it('a rejected request is told CLAIM_REJECTED with the reason; it can still be approved after all', async () => {
    const c = await claim();
    const s = secret();
    await register(c.token, 'gw-r', s);
    const rej = await api.call('POST', '/v1/registrations/gw-r/reject', { reason: 'unknown unit' });
    assert.deepEqual([rej.status, rej.json.state, rej.json.reason], [200, 'rejected', 'unknown unit']);
    const r = await register(c.token, 'gw-r', s);
    assert.deepEqual([r.status, r.json.error.code], [403, 'CLAIM_REJECTED']);
    assert.match(r.json.error.message, /unknown unit/);
    assert.equal(await api.registry.get('gw-r'), undefined);
    assert.equal((await api.call('POST', '/v1/registrations/gw-r/approve')).status, 200);
    assert.equal((await register(c.token, 'gw-r', s)).status, 201);
  });

  it('revoking the claim rejects its pending requests and blocks approving them', async () => {
    const c = await claim();
    const s = secret();
    await register(c.token, 'gw-v', s);
    assert.equal((await api.call('POST', `/v1/claims/${c.id}/revoke`)).status, 200);
    const r = await register(c.token, 'gw-v', s);
    assert.deepEqual([r.status, r.json.error.code], [403, 'CLAIM_REVOKED'], 'a revoked claim is refused before the request is looked at');
    assert.deepEqual((await api.call('GET', '/v1/registrations?state=rejected')).json.registrations.map((x: any) => [x.gateway, x.reason]), [['gw-v', 'claim revoked']]);
    const a = await api.call('POST', '/v1/registrations/gw-v/approve');
    assert.deepEqual([a.status, a.json.error.code], [409, 'REGISTRATION_DECIDED']);
    assert.equal(await api.registry.get('gw-v'), undefined);
    assert.equal((await api.call('GET', '/v1/registrations?state=nope')).status, 400);
  });

  it('a claim without approval registers at once, as before (the secret is the cloud\'s)', async () => {
    const c = await api.call('POST', '/v1/claims', {});
    assert.equal(c.json.claim.approval, false);
    const r = await register(c.json.token, 'gw-direct', secret());
    assert.equal(r.status, 201);
    assert.equal(typeof r.json.secret, 'string');
    assert.deepEqual((await api.call('GET', '/v1/registrations')).json.registrations, []);
  });
});
