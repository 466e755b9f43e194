import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, silentLogger } from '@causeway/shared';
import { edgeSchema, type EdgeConfig } from '../../src/config/schema.js';
import { applyStoredIdentity, claimId, registerByClaim } from '../../src/app/claim-registration.js';

describe('app/claim-registration: first boot by claim (issue 20)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'cw-claim-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const cfg = (extra: string[] = []): EdgeConfig =>
    loadConfig<EdgeConfig>(edgeSchema, { argv: ['--store.path', join(dir, 'outbox.db'), '--identity.claimToken', 'cw_claim_abcdefgh.sssssssssssssssssssssss', '--identity.registerUrl', 'http://cloud:8080/', ...extra], env: {} });
  const answer = (status: number, body: unknown) => async () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  it('reads the id from identity.idFrom (first line, NULs and spaces trimmed); gateway.id wins when set', () => {
    writeFileSync(join(dir, 'serial'), '  100000ab12cd\0\nsecond line\n');
    assert.equal(claimId(cfg(['--identity.idFrom', join(dir, 'serial')])), '100000ab12cd');
    assert.equal(claimId(cfg(['--identity.idFrom', join(dir, 'serial'), '--gateway.id', 'gw-9'])), 'gw-9');
    assert.throws(() => claimId(cfg()), /neither gateway.id nor identity.idFrom/);
    writeFileSync(join(dir, 'bad'), 'a/b\n');
    assert.throws(() => claimId(cfg(['--identity.idFrom', join(dir, 'bad')])), (e: any) => e.code === 'CONFIG_INVALID' && /does not hold a valid id/.test(e.message));
  });

  it('registers, stores id and secret 0600, and from then on runs with them without asking again', async () => {
    const calls: Array<{ url: string; body: string }> = [];
    const fetch = (async (url: string, init: RequestInit) => {
      calls.push({ url, body: String(init.body) });
      return answer(201, { id: 'gw-9', secret: 's3cret', groups: [] })();
    }) as unknown as typeof globalThis.fetch;
    const c = cfg(['--gateway.id', 'gw-9']);
    const got = await registerByClaim(c, silentLogger, { fetch });
    assert.deepEqual([got.gateway.id, got.cloud.username, got.cloud.password], ['gw-9', 'gw-9', 's3cret']);
    assert.equal(calls[0]!.url, 'http://cloud:8080/v1/register');
    assert.deepEqual(JSON.parse(calls[0]!.body), { claimToken: 'cw_claim_abcdefgh.sssssssssssssssssssssss', id: 'gw-9' });
    const file = join(dir, 'credentials.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).secret, 's3cret');
    const again = await registerByClaim(c, silentLogger, { fetch });
    assert.equal(calls.length, 1, 'a stored secret is used, the claim is not presented again');
    assert.equal(again.cloud.password, 's3cret');
    assert.equal(applyStoredIdentity(c).cloud.password, 's3cret');
  });

  it('a refusal the operator must fix is a config error naming the code; an unreachable cloud or a 503 is retried', async () => {
    await assert.rejects(registerByClaim(cfg(['--gateway.id', 'gw-9']), silentLogger, { fetch: answer(403, { error: { code: 'CLAIM_EXPIRED', message: 'claim x is expired' } }) as unknown as typeof fetch }), (e: any) => e.code === 'CONFIG_INVALID' && /refused \(CLAIM_EXPIRED\): claim x is expired/.test(e.message));
    let n = 0;
    const flaky = (async () => {
      n++;
      if (n === 1) throw new Error('ECONNREFUSED');
      if (n === 2) return answer(503, {})();
      return answer(201, { id: 'gw-9', secret: 'x', groups: [] })();
    }) as unknown as typeof fetch;
    const got = await registerByClaim(cfg(['--gateway.id', 'gw-9']), silentLogger, { fetch: flaky, random: () => 0 });
    assert.equal(n, 3);
    assert.equal(got.cloud.password, 'x');
  });

  it('without a claim token, or with a configured password, nothing is registered', async () => {
    const fetch = (async () => assert.fail('no request')) as unknown as typeof globalThis.fetch;
    const plain = loadConfig<EdgeConfig>(edgeSchema, { argv: ['--store.path', join(dir, 'o.db')], env: {} });
    assert.equal(await registerByClaim(plain, silentLogger, { fetch }), plain);
    const withPassword = cfg(['--gateway.id', 'gw-1', '--cloud.username', 'gw-1', '--cloud.password', 'p']);
    assert.equal((await registerByClaim(withPassword, silentLogger, { fetch })).cloud.password, 'p');
  });
});
