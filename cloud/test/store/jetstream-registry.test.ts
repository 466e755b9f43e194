import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'nats';
import { normalizeJetStreamOptions } from '../../src/store/jetstream/jetstream-options.js';
import { openJetStreamRegistry } from '../../src/store/jetstream/jetstream-registry.js';
import { type JetStreamStore, destroyJetStreamStore, openJetStreamStore } from '../../src/store/jetstream/jetstream-store.js';
import { describeRegistryContract } from '../identity/registry-contract.js';
import { natsForSuite } from './jetstream-server.js';

describe('jetstream device registry against a real nats-server @e2e', function () {
  this.timeout(30_000);
  const nats = natsForSuite(1);

  const storeFor = async (prefix: string): Promise<JetStreamStore> => {
    return nats.track(await openJetStreamStore({ servers: nats.urls, prefix }));
  };
  const destroy = async (prefix: string): Promise<void> => {
    const nc = await connect({ servers: nats.urls });
    const jsm = await nc.jetstreamManager();
    await destroyJetStreamStore(jsm, normalizeJetStreamOptions({ servers: nats.urls, prefix }));
    await nc.close();
  };

  describeRegistryContract('jetstream', async () => {
    const prefix = `r${randomBytes(4).toString('hex')}`;
    const store = await storeFor(prefix);
    return {
      registry: await openJetStreamRegistry(store),
      // another node (another connection) sees the same entries
      reopen: async () => openJetStreamRegistry(await storeFor(prefix)),
      cleanup: () => destroy(prefix),
    };
  });

  it('applies concurrent presence updates from two nodes without losing either', async () => {
    const prefix = `r${randomBytes(4).toString('hex')}`;
    const a = await openJetStreamRegistry(await storeFor(prefix));
    const b = await openJetStreamRegistry(await storeFor(prefix));
    await a.create({ id: 'gw1', kind: 'gateway', groups: [], tags: {}, enabled: true, createdAt: 1, online: false });
    // node A changes groups while node B records presence: compare-and-set keeps both
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => b.markSeen('gw1', i % 2 === 0, 100 + i)),
      a.update('gw1', { groups: ['north'] }),
    ]);
    const e = await a.get('gw1');
    assert.deepEqual(e?.groups, ['north']);
    assert.ok(e?.lastSeenAt !== undefined && e.lastSeenAt >= 100);
    await destroy(prefix);
  });
});
