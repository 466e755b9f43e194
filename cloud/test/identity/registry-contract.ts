import assert from 'node:assert/strict';
import { CausewayError } from '@causeway/shared';
import type { DeviceRegistry, RegistryEntry } from '../../src/identity/registry/contract.js';

const gw = (id: string, extra: Partial<RegistryEntry> = {}): RegistryEntry => ({
  id,
  kind: 'gateway',
  groups: [],
  tags: {},
  enabled: true,
  createdAt: 1000,
  online: false,
  ...extra,
});

/** One suite every DeviceRegistry backend runs. */
export function describeRegistryContract(name: string, build: () => Promise<{ registry: DeviceRegistry; reopen?: () => Promise<DeviceRegistry>; cleanup: () => Promise<void> }>): void {
  describe(`registry contract: ${name}`, () => {
    let registry: DeviceRegistry;
    let reopen: (() => Promise<DeviceRegistry>) | undefined;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ registry, reopen, cleanup } = await build());
    });
    afterEach(async () => {
      await registry.close();
      await cleanup();
    });

    it('creates, gets and refuses a duplicate id', async () => {
      const e = gw('gw1', { groups: ['north'], tags: { kind: 'rsu' }, secretHash: 'scrypt$x' });
      await registry.create(e);
      assert.deepEqual(await registry.get('gw1'), e);
      await assert.rejects(registry.create(gw('gw1')), (err: unknown) => err instanceof CausewayError && err.code === 'REGISTRY_EXISTS');
      assert.equal(await registry.get('nope'), undefined);
    });

    const QUERIES: Array<[Parameters<DeviceRegistry['list']>[0], string[]]> = [
      [{}, ['app1', 'dev1', 'gw1', 'gw2']],
      [{ kind: 'gateway' }, ['gw1', 'gw2']],
      [{ group: 'north' }, ['gw1']],
      [{ tag: 'kind=rsu' }, ['gw2']],
      [{ tag: 'kind' }, ['gw1', 'gw2']],
      [{ gateway: 'gw1' }, ['dev1']],
      [{ kind: 'gateway', group: 'south' }, ['gw2']],
    ];
    for (const [q, ids] of QUERIES) {
      it(`lists ${JSON.stringify(q)} → ${ids.join(',')}`, async () => {
        await registry.create(gw('gw2', { groups: ['south'], tags: { kind: 'rsu' } }));
        await registry.create(gw('gw1', { groups: ['north'], tags: { kind: 'vehicle' } }));
        await registry.create({ ...gw('dev1'), kind: 'device', gateway: 'gw1' });
        await registry.create({ ...gw('app1'), kind: 'app', queues: ['telemetry'], canSend: true });
        assert.deepEqual((await registry.list(q)).map((e) => e.id), ids);
      });
    }

    it('creates many at once, or none when one id exists (issue 20: devices:batch)', async () => {
      await registry.createMany([gw('m1'), gw('m2')]);
      assert.deepEqual((await registry.list()).map((e) => e.id), ['m1', 'm2']);
      await assert.rejects(registry.createMany([gw('m3'), gw('m4'), gw('m1')]), (err: unknown) => err instanceof CausewayError && err.code === 'REGISTRY_EXISTS' && /m1/.test(err.message));
      assert.deepEqual((await registry.list()).map((e) => e.id), ['m1', 'm2'], 'nothing of the refused batch was kept');
      await registry.createMany([]);
    });

    it('updates, disables, deletes and tracks presence', async () => {
      await registry.create(gw('gw1'));
      const u = await registry.update('gw1', { enabled: false, groups: ['x'] });
      assert.equal(u.enabled, false);
      assert.deepEqual((await registry.get('gw1'))?.groups, ['x']);
      await registry.markSeen('gw1', true, 5000);
      const seen = await registry.get('gw1');
      assert.equal(seen?.online, true);
      assert.equal(seen?.lastSeenAt, 5000);
      await registry.markSeen('unknown', true, 1); // no-op, no throw
      await assert.rejects(registry.update('nope', { enabled: true }), (err: unknown) => err instanceof CausewayError && err.code === 'REGISTRY_NOT_FOUND');
      assert.equal(await registry.delete('gw1'), true);
      assert.equal(await registry.delete('gw1'), false);
    });

    it('bumps the token generation on a new secret or a disable, and only then (issue 23 item 6)', async () => {
      await registry.create(gw('gw1', { secretHash: 'h1' }));
      const gen = async (): Promise<number> => (await registry.get('gw1'))?.tokenGeneration ?? 0;
      assert.equal(await gen(), 0);
      assert.equal((await registry.update('gw1', { groups: ['g'] })).tokenGeneration ?? 0, 0);
      assert.equal((await registry.update('gw1', { secretHash: 'h1' })).tokenGeneration ?? 0, 0, 'the same hash is no rotation');
      assert.equal((await registry.update('gw1', { secretHash: 'h2' })).tokenGeneration, 1);
      assert.equal(await gen(), 1);
      await registry.update('gw1', { enabled: false });
      assert.equal(await gen(), 2);
      await registry.update('gw1', { enabled: false }); // already disabled
      await registry.update('gw1', { enabled: true });
      assert.equal(await gen(), 2);
      await registry.markSeen('gw1', true, 7);
      assert.equal(await gen(), 2);
    });

    it('keeps a gateway registered with a CSR as it was stored: its pinned certificate and no secret (issue 20)', async () => {
      const sha = 'a1'.repeat(32);
      const e = gw('gw.csr-1', { groups: ['north'], tags: { claim: 'k1', site: 'a b' }, certSha256: sha });
      await registry.create(e);
      assert.deepEqual(await registry.get('gw.csr-1'), e);
      const listed = (await registry.list({ kind: 'gateway', tag: 'claim=k1' }))[0]!;
      assert.deepEqual(listed, e);
      assert.equal(Object.hasOwn(listed, 'secretHash'), false, 'no secret, not even an empty one');
      // Presence and a change of groups leave the pin as it was.
      await registry.markSeen('gw.csr-1', true, 77);
      const u = await registry.update('gw.csr-1', { groups: ['south'] });
      assert.equal(u.certSha256, sha);
      assert.deepEqual(await registry.get('gw.csr-1'), { ...e, groups: ['south'], online: true, lastSeenAt: 77 });
      // Renewed (cert-renewer.ts): the next certificate and its end, beside the pinned one.
      await registry.update('gw.csr-1', { certSha256Next: 'c3'.repeat(32), certNotAfter: 1_900_000_000_000 });
      assert.deepEqual(await registry.get('gw.csr-1'), { ...e, groups: ['south'], online: true, lastSeenAt: 77, certSha256Next: 'c3'.repeat(32), certNotAfter: 1_900_000_000_000 });
      await registry.update('gw.csr-1', { certSha256: 'c3'.repeat(32) });
      assert.equal((await registry.get('gw.csr-1'))!.certSha256, 'c3'.repeat(32), 'pinned at its first use');
      // Revoked (POST /v1/devices/{id}/revoke-cert): the pin stays for the record, beside the time.
      await registry.update('gw.csr-1', { certRevokedAt: 88 });
      assert.deepEqual(await registry.get('gw.csr-1'), { ...e, certSha256: 'c3'.repeat(32), groups: ['south'], online: true, lastSeenAt: 77, certSha256Next: 'c3'.repeat(32), certNotAfter: 1_900_000_000_000, certRevokedAt: 88 });
    });

    it('keeps entries across a reopen when the backend is durable', async function () {
      if (reopen === undefined) this.skip();
      await registry.create(gw('gw1', { secretHash: 'h', groups: ['g'] }));
      await registry.update('gw1', { secretHash: 'h2' });
      await registry.markSeen('gw1', true, 42);
      await registry.close();
      registry = await reopen!();
      const e = await registry.get('gw1');
      assert.equal(e?.secretHash, 'h2');
      assert.equal(e?.tokenGeneration, 1, 'a revocation survives a restart');
      assert.equal(e?.lastSeenAt, 42);
      assert.deepEqual(e?.groups, ['g']);
    });

    it('another handle (a restart, another node) sees a CSR gateway\'s pin (issue 20)', async function () {
      if (reopen === undefined) this.skip();
      const e = gw('gw-csr', { tags: { claim: 'k1' }, certSha256: 'b2'.repeat(32) });
      await registry.create(e);
      await registry.close();
      registry = await reopen!();
      assert.deepEqual(await registry.get('gw-csr'), e);
    });
  });
}
