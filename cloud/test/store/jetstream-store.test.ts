import assert from 'node:assert/strict';
import { connect } from 'nats';
import { randomBytes } from 'node:crypto';
import { type JetStreamStore, destroyJetStreamStore, openJetStreamStore } from '../../src/store/jetstream/jetstream-store.js';
import { normalizeJetStreamOptions } from '../../src/store/jetstream/jetstream-options.js';
import { StoreError } from '@causeway/broker';
import { natsForSuite } from './jetstream-server.js';
import { describeStoreContract, makeMessage } from '../../../broker/test/store/store-contract.js';

describe('jetstream store against a real nats-server @e2e', function () {
  this.timeout(30_000);
  const nats = natsForSuite(1);

  /** A store on a fresh prefix, so tests share the server but not each other's data. */
  const openFresh = async (prefix = `t${randomBytes(4).toString('hex')}`): Promise<{ prefix: string; store: JetStreamStore }> => ({
    prefix,
    store: await openJetStreamStore({ servers: nats.urls, prefix }),
  });

  describeStoreContract('jetstream', async () => {
    const { prefix, store } = await openFresh();
    let current: JetStreamStore = store;
    return {
      store: current,
      reopen: async () => {
        await current.close();
        current = await openJetStreamStore({ servers: nats.urls, prefix });
        return current;
      },
      cleanup: async () => {
        await current.close();
        const nc = await connect({ servers: nats.urls });
        await destroyJetStreamStore(await nc.jetstreamManager(), normalizeJetStreamOptions({ servers: nats.urls, prefix }));
        await nc.close();
      },
    };
  });
});
