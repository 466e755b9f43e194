import assert from 'node:assert/strict';
import { openSqliteControlStore } from '../../src/control/sqlite-control-store.js';
import type { ControlStore } from '../../src/control/control-store.js';
import { startApi, type ApiFixture } from './fixtures/api-fixture.js';
import { newClaimId } from '../../src/api/claim-routes.js';

describe('api/claim-routes: claims and POST /v1/register (issue 20)', () => {
  let api: ApiFixture;
  let control: ControlStore;
  beforeEach(async () => {
    control = openSqliteControlStore(':memory:');
    api = await startApi({ claims: control.claims, fleet: control.fleet, kdfLogN: 10, authFailures: { burst: 3, refillPerSecond: 0.001 } });
  });
  afterEach(async () => {
    await api.close();
    await control.close();
  });

  it('registers without an operator token, once per id, with the claim\'s groups and tags; the operator routes still need the token', async () => {
    const c = await api.call('POST', '/v1/claims', { maxUses: 3, groups: ['north'], tags: { lot: '7' } });
    assert.equal(c.status, 201);
    assert.match(c.json.token, /^cw_claim_[\w-]+\.[\w-]+$/);
    assert.equal(c.json.claim.secretSha256, undefined);
    const r = await api.call('POST', '/v1/register', { claimToken: c.json.token, id: 'gw-1' }, '');
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.equal(typeof r.json.secret, 'string');
    assert.deepEqual((await api.registry.get('gw-1'))!.tags, { lot: '7', claim: c.json.claim.id });
    const again = await api.call('POST', '/v1/register', { claimToken: c.json.token, id: 'gw-1' }, '');
    assert.equal(again.status, 409, 'a claim never takes over a registered gateway');
    assert.equal((await control.claims.get(c.json.claim.id))!.uses, 1, 'the refused one took no use');
    assert.equal((await api.call('GET', '/v1/claims', undefined, '')).status, 401);
    assert.equal((await api.call('GET', '/v1/gateways', undefined, '')).status, 401);
  });

  it('wrong claims are 401 and limited per source (429); a revoked claim is 403', async () => {
    const c = await api.call('POST', '/v1/claims', {});
    const bad = `${c.json.token.split('.')[0]}.${'A'.repeat(43)}`;
    const rev = await api.call('POST', `/v1/claims/${c.json.claim.id}/revoke`);
    assert.equal(rev.json.revoked, true);
    const r = await api.call('POST', '/v1/register', { claimToken: c.json.token, id: 'gw-r' }, '');
    assert.deepEqual([r.status, r.json.error.code], [403, 'CLAIM_REVOKED']);
    for (let i = 0; i < 3; i++) assert.equal((await api.call('POST', '/v1/register', { claimToken: bad, id: 'gw-x' }, '')).json.error.code, 'CLAIM_INVALID');
    const limited = await api.call('POST', '/v1/register', { claimToken: c.json.token, id: 'gw-x' }, '');
    assert.deepEqual([limited.status, limited.json.error.code], [429, 'CLAIM_RATE_LIMITED']);
  });

  it('GET /v1/gateways: a bad where is 400 WHERE_INVALID naming the problem', async () => {
    const r = await api.call('GET', `/v1/gateways?where=${encodeURIComponent('disk<5')}`);
    assert.deepEqual([r.status, r.json.error.code], [400, 'WHERE_INVALID']);
    assert.match(r.json.error.message, /unknown field "disk"/);
    assert.deepEqual((await api.call('GET', '/v1/gateways?where=backlog%3E1')).json, { gateways: [] });
  });
});

describe('cloud/api/claim ids', () => {
  it('never start with "-" or "_", so a claim id is never read as a flag on the command line', () => {
    const ids = Array.from({ length: 5000 }, () => newClaimId());
    for (const id of ids) assert.match(id, /^[A-Za-z0-9][A-Za-z0-9_-]{11}$/);
    assert.equal(new Set(ids).size, ids.length);
  });
});
