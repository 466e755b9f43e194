import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Authenticator } from '../../src/identity/authenticator.js';
import { FailureLimiter } from '../../src/identity/failure-limiter.js';
import { MemoryRegistry } from '../../src/identity/registry/memory-registry.js';
import { generateSecret, hashSecret, verifySecret } from '../../src/identity/secret-hash.js';
import { issueToken } from '../../src/identity/access-token.js';

describe('cloud/identity/authenticator', () => {
  const key = randomBytes(32);
  let registry: MemoryRegistry;
  let clock: number;
  let limiter: FailureLimiter;
  let auth: Authenticator;
  const secret = generateSecret();

  beforeEach(async () => {
    registry = new MemoryRegistry();
    clock = 1_800_000_000_000;
    limiter = new FailureLimiter({ burst: 3, refillPerSecond: 0.5, maxSources: 100 }, () => clock);
    const secretHash = await hashSecret(secret);
    await registry.create({ id: 'gw1', kind: 'gateway', groups: ['north'], tags: {}, secretHash, enabled: true, createdAt: 0, online: false });
    await registry.create({ id: 'gw2', kind: 'gateway', groups: [], tags: {}, secretHash, enabled: false, createdAt: 0, online: false });
    await registry.create({ id: 'analytics', kind: 'app', groups: [], tags: {}, secretHash, enabled: true, createdAt: 0, online: false, queues: ['telemetry'] });
    auth = new Authenticator({ registry, limiter, allowAnonymous: false, tokenKey: key, now: () => clock });
  });

  it('hashes secrets with a salt and verifies them', async () => {
    const a = await hashSecret('s3cret');
    const b = await hashSecret('s3cret');
    assert.notEqual(a, b);
    assert.ok(!a.includes('s3cret'));
    assert.equal(await verifySecret('s3cret', a), true);
    assert.equal(await verifySecret('s3cret!', a), false);
    assert.equal(await verifySecret('s3cret', 'garbage'), false);
  });

  it('accepts a gateway with its secret and gives it its groups', async () => {
    const r = await auth.authenticate({ clientId: 'gw1', username: 'gw1', password: Buffer.from(secret), source: '10.0.0.1' });
    assert.deepEqual(r, { ok: true, identity: { role: 'gateway', id: 'gw1', groups: ['north'] } });
  });

  it('a verified certificate: its CN is the principal; a pinned entry (registered with a CSR) accepts only its own certificate', async () => {
    const pin = 'ab'.repeat(32);
    await registry.create({ id: 'gw-cert', kind: 'gateway', groups: [], tags: {}, certSha256: pin, enabled: true, createdAt: 0, online: false });
    assert.equal((await auth.authenticate({ clientId: 'gw1', certificateId: 'gw1', certificateSha256: 'cd'.repeat(32), source: 's' })).ok, true, 'unpinned: any certificate of the CA with the CN');
    assert.equal((await auth.authenticate({ clientId: 'gw-cert', certificateId: 'gw-cert', certificateSha256: pin, source: 's' })).ok, true);
    const other = await auth.authenticate({ clientId: 'gw-cert', certificateId: 'gw-cert', certificateSha256: 'cd'.repeat(32), source: 's' });
    assert.deepEqual([other.ok, (other as { code?: string }).code], [false, 'BAD_CREDENTIALS']);
    assert.equal((await auth.authenticate({ clientId: 'gw-cert', certificateId: 'gw-cert', source: 's2' })).ok, false, 'no fingerprint, no match');
  });

  it('a revoked certificate (issue 20): refused NOT_AUTHORIZED, counted, pinned or not, without banning; a secret still works', async () => {
    const pin = 'ab'.repeat(32);
    await registry.create({ id: 'gw-cert', kind: 'gateway', groups: [], tags: {}, certSha256: pin, certRevokedAt: 5, enabled: true, createdAt: 0, online: false });
    await registry.update('gw1', { certRevokedAt: 6 });
    for (let i = 0; i < 12; i++) {
      const r = await auth.authenticate({ clientId: 'gw-cert', certificateId: 'gw-cert', certificateSha256: pin, source: 's' });
      assert.deepEqual(r, { ok: false, code: 'NOT_AUTHORIZED', reason: 'the certificate of gw-cert was revoked' }, `attempt ${i}: revoked, not banned`);
    }
    const other = await auth.authenticate({ clientId: 'gw1', certificateId: 'gw1', certificateSha256: 'cd'.repeat(32), source: 's' });
    assert.equal((other as { code?: string }).code, 'NOT_AUTHORIZED', 'unpinned: no certificate of the CA for it any more');
    assert.equal(auth.counters.certRevokedRefused, 13);
    assert.equal((await auth.authenticate({ clientId: 'gw1', username: 'gw1', password: secret, source: 's' })).ok, true, 'its secret is another credential');
  });

  it('a renewed certificate (issue 20): accepted beside the pinned one until its first use pins it; the session may renew', async () => {
    const [old, renewed, newer] = ['01', '02', '03'].map((x) => x.repeat(32)) as [string, string, string];
    await registry.create({ id: 'gw-r', kind: 'gateway', groups: [], tags: {}, certSha256: old, certSha256Next: renewed, enabled: true, createdAt: 0, online: false });
    const connect = (sha: string) => auth.authenticate({ clientId: 'gw-r', certificateId: 'gw-r', certificateSha256: sha, source: 's' });
    assert.deepEqual(await connect(old), { ok: true, identity: { role: 'gateway', id: 'gw-r', groups: [], certificate: true } }, 'the old one until the new one is used');
    assert.equal((await registry.get('gw-r'))!.certSha256, old);
    assert.equal((await connect(newer)).ok, false, 'not one the cloud did not sign last');
    assert.equal((await connect(renewed)).ok, true);
    assert.equal((await registry.get('gw-r'))!.certSha256, renewed, 'pinned at its first use');
    assert.equal(auth.counters.certRenewedInUse, 1);
    assert.equal((await connect(old)).ok, false, 'the old one is out from then on');
    assert.equal((await connect(renewed)).ok, true);
    assert.equal(auth.counters.certRenewedInUse, 1);
  });

  it('accepts an unexpired token and refuses an expired or forged one', async () => {
    const t = issueToken(key, 'gw1', clock + 60_000, 0);
    assert.equal((await auth.authenticate({ clientId: 'gw1', password: t, source: 's' })).ok, true);
    clock += 61_000;
    const expired = await auth.authenticate({ clientId: 'gw1', password: t, source: 's' });
    assert.equal(expired.ok, false);
    assert.match((expired as { reason: string }).reason, /EXPIRED/);
    const forged = await auth.authenticate({ clientId: 'gw1', password: issueToken(randomBytes(32), 'gw1', clock + 60_000, 0), source: 's2' });
    assert.deepEqual({ ok: forged.ok, code: (forged as { code: string }).code }, { ok: false, code: 'BAD_CREDENTIALS' });
  });

  // Issue 23 item 6: a token must not outlive a rotation or a disable.
  for (const [what, change] of [
    ['the secret is rotated', async () => registry.update('gw1', { secretHash: await hashSecret(generateSecret()) })],
    ['the gateway is disabled and enabled again', async () => {
      await registry.update('gw1', { enabled: false });
      await registry.update('gw1', { enabled: true });
    }],
  ] as const) {
    it(`refuses a token issued before ${what}, and accepts one issued after`, async () => {
      const before = issueToken(key, 'gw1', clock + 60_000, (await registry.get('gw1'))!.tokenGeneration ?? 0);
      assert.equal((await auth.authenticate({ clientId: 'gw1', password: before, source: 's' })).ok, true);
      await change();
      const r = await auth.authenticate({ clientId: 'gw1', password: before, source: 's' });
      assert.deepEqual({ ok: r.ok, code: (r as { code: string }).code }, { ok: false, code: 'BAD_CREDENTIALS' });
      assert.match((r as { reason: string }).reason, /REVOKED/);
      const after = issueToken(key, 'gw1', clock + 60_000, (await registry.get('gw1'))!.tokenGeneration ?? 0);
      assert.equal((await auth.authenticate({ clientId: 'gw1', password: after, source: 's' })).ok, true);
    });
  }

  const REFUSED: Array<[string, () => Parameters<Authenticator['authenticate']>[0], string]> = [
    ['a wrong secret', () => ({ clientId: 'gw1', username: 'gw1', password: 'nope', source: 'a' }), 'BAD_CREDENTIALS'],
    ['an unknown id', () => ({ clientId: 'gw9', username: 'gw9', password: secret, source: 'a' }), 'BAD_CREDENTIALS'],
    ['no credentials (anonymous off)', () => ({ clientId: 'gw1', source: 'a' }), 'NOT_AUTHORIZED'],
    ['a disabled gateway', () => ({ clientId: 'gw2', username: 'gw2', password: secret, source: 'a' }), 'NOT_AUTHORIZED'],
    ["gw1's credentials used as client gw2 (session takeover)", () => ({ clientId: 'gw2', username: 'gw1', password: secret, source: 'a' }), 'NOT_AUTHORIZED'],
  ];
  for (const [what, req, code] of REFUSED) {
    it(`refuses ${what} with ${code}, and never echoes the secret`, async () => {
      const r = await auth.authenticate(req());
      assert.equal(r.ok, false);
      assert.equal((r as { code: string }).code, code);
      assert.ok(!JSON.stringify(r).includes(secret));
    });
  }

  it('lets an app connect under suffixed client ids', async () => {
    const r = await auth.authenticate({ clientId: 'analytics.worker-2', username: 'analytics', password: secret, source: 'a' });
    assert.deepEqual(r, { ok: true, identity: { role: 'app', id: 'analytics', queues: ['telemetry'], canSend: false } });
  });

  it('bans a source after repeated failures, then lets it retry after the refill', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await auth.authenticate({ clientId: 'gw1', password: 'bad', source: 'evil' })).ok, false);
    const banned = await auth.authenticate({ clientId: 'gw1', username: 'gw1', password: secret, source: 'evil' });
    assert.equal((banned as { code: string }).code, 'BANNED');
    assert.equal((await auth.authenticate({ clientId: 'gw1', username: 'gw1', password: secret, source: 'other' })).ok, true);
    clock += 2_000; // one token back
    assert.equal((await auth.authenticate({ clientId: 'gw1', username: 'gw1', password: secret, source: 'evil' })).ok, true);
  });

  it('bans a (source, principal) pair, not the whole source: other gateways behind the same NAT still connect (issue 23 item 9)', async () => {
    await registry.create({ id: 'gw3', kind: 'gateway', groups: [], tags: {}, secretHash: await hashSecret(secret), enabled: true, createdAt: 0, online: false });
    for (let i = 0; i < 5; i++) await auth.authenticate({ clientId: 'gw1', username: 'gw1', password: `guess${i}`, source: 'nat' });
    const gw1 = await auth.authenticate({ clientId: 'gw1', username: 'gw1', password: secret, source: 'nat' });
    assert.equal((gw1 as { code: string }).code, 'BANNED', 'the guessed pair stays banned, even with the right secret');
    const gw3 = await auth.authenticate({ clientId: 'gw3', username: 'gw3', password: secret, source: 'nat' });
    assert.equal(gw3.ok, true, 'another gateway behind the same address is not locked out');
    // a token for the banned principal is no way around the ban
    const t = issueToken(key, 'gw1', clock + 60_000, 0);
    assert.equal(((await auth.authenticate({ clientId: 'gw1', password: t, source: 'nat' })) as { code: string }).code, 'BANNED');
  });

  it('tracks a bounded number of sources', () => {
    const l = new FailureLimiter({ burst: 1, refillPerSecond: 1, maxSources: 10 }, () => 0);
    for (let i = 0; i < 1000; i++) l.fail(`s${i}`);
    assert.equal(l.trackedSources, 10);
  });

  it('allows anonymous access only with the development flag', async () => {
    const dev = new Authenticator({ registry, limiter, allowAnonymous: true });
    assert.deepEqual(await dev.authenticate({ clientId: 'x', source: 'a' }), { ok: true, identity: { role: 'admin', id: 'x' } });
  });
});
