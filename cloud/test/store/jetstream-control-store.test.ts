import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { CommandRecord } from '../../src/control/control-store.js';
import { connect } from 'nats';
import { normalizeJetStreamOptions } from '../../src/store/jetstream/jetstream-options.js';
import { openJetStreamControlStore } from '../../src/store/jetstream/jetstream-control-store.js';
import { type JetStreamStore, destroyJetStreamStore, openJetStreamStore } from '../../src/store/jetstream/jetstream-store.js';
import { describeControlStoreContract } from '../control/control-store-contract.js';
import { natsForSuite } from './jetstream-server.js';

describe('jetstream control store (commands, config) against a real nats-server @e2e', function () {
  this.timeout(30_000);
  const nats = natsForSuite(1);

  const storeFor = async (prefix: string): Promise<JetStreamStore> => {
    return nats.track(await openJetStreamStore({ servers: nats.urls, prefix }));
  };

  describeControlStoreContract('jetstream KV', async () => {
    const prefix = `c${randomBytes(4).toString('hex')}`;
    return {
      store: await openJetStreamControlStore(await storeFor(prefix)),
      // another node: its own connection and store over the same buckets
      peer: async () => openJetStreamControlStore(await storeFor(prefix)),
      cleanup: async () => {
        const nc = await connect({ servers: nats.urls });
        await destroyJetStreamStore(await nc.jetstreamManager(), normalizeJetStreamOptions({ servers: nats.urls, prefix }));
        await nc.close();
      },
    };
  }, { shared: true });

  it('reads the running commands each tick without creating a consumer per tick; sees another node\'s commands and finishes [issue 23]', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const a = await openJetStreamControlStore(await storeFor(prefix));
    const b = await openJetStreamControlStore(await storeFor(prefix));
    const rec = (id: string): CommandRecord => ({ id, name: 'reboot', args: {}, target: { group: 'g' }, createdAt: 1, expiresAt: 60_000, status: 'RUNNING' });
    await a.commands.create(rec('c1'), [{ gateway: 'gw1', device: 'gw1' }], 1);
    assert.deepEqual((await a.commands.running()).map((r) => r.id), ['c1']);

    // Every consumer the server creates on the commands bucket's stream is announced as an advisory.
    const nc = await connect({ servers: nats.urls });
    let created = 0;
    nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.CREATED.KV_${prefix}_commands.>`, { callback: () => created++ });
    await nc.flush();
    try {
      await b.commands.create(rec('c2'), [{ gateway: 'gw1', device: 'gw1' }], 1);
      const seen: string[][] = [];
      for (let tick = 0; tick < 5; tick++) {
        seen.push((await a.commands.running()).map((r) => r.id).sort());
        await new Promise((r) => setTimeout(r, 200));
      }
      await nc.flush();
      assert.equal(created, 0, `${created} consumers created on the commands bucket over 5 ticks`);
      assert.deepEqual(seen[seen.length - 1], ['c1', 'c2'], 'a command created by another node is not seen');
      assert.equal(await b.commands.setStatus('c1', 'COMPLETED'), true);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual((await a.commands.running()).map((r) => r.id), ['c2']);
      assert.equal(created, 0);
    } finally {
      await nc.close();
      await a.close();
      await b.close();
    }
  });
});
