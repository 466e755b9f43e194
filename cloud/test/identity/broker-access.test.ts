import assert from 'node:assert/strict';
import { registryAccess } from '../../src/identity/broker-access.js';
import type { Authenticator } from '../../src/identity/authenticator.js';
import { MemoryRegistry } from '../../src/identity/registry/memory-registry.js';
import { silentLogger } from '@causeway/shared';

describe('cloud/identity/broker-access: presence', () => {
  it('keeps last seen live while a gateway publishes, one registry write per interval (issue 24)', async () => {
    const registry = new MemoryRegistry();
    await registry.create({ id: 'gw1', kind: 'gateway', groups: [], tags: {}, enabled: true, createdAt: 0, online: false });
    let t = 1_000;
    let writes = 0;
    const markSeen = registry.markSeen.bind(registry);
    registry.markSeen = async (id, online, at) => {
      writes++;
      return markSeen(id, online, at);
    };
    const access = registryAccess({} as Authenticator, registry, silentLogger, { seenEveryMs: 60_000, now: () => t });
    const gw = { role: 'gateway' as const, id: 'gw1', groups: [] };
    const conn = { clientId: 'gw1', username: 'gw1' };
    access.connected!(gw, 'gw1');
    const seen = async (): Promise<number | undefined> => {
      await new Promise((r) => setImmediate(r));
      return (await registry.get('gw1'))?.lastSeenAt;
    };
    assert.equal(await seen(), 1_000);
    t = 30_000;
    assert.equal(access.canPublish(gw, 'telemetry/gw1/th-1/temp', conn).allow, true);
    assert.equal(await seen(), 1_000, 'within the interval: no write');
    t = 61_001;
    access.canPublish(gw, 'telemetry/gw1/th-1/temp', conn);
    assert.equal(await seen(), 61_001, 'a message after the interval moves last seen');
    assert.equal((await registry.get('gw1'))?.online, true);
    assert.equal(writes, 2);
    assert.equal(access.canPublish(gw, 'telemetry/gw2/th-1/temp', conn).allow, false, 'a refused publish is not presence');
    assert.equal(writes, 2);
  });
});
