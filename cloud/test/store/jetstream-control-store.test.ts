import { randomBytes } from 'node:crypto';
import { connect } from 'nats';
import { normalizeJetStreamOptions } from '../../src/store/jetstream/jetstream-options.js';
import { openJetStreamControlStore } from '../../src/store/jetstream/jetstream-control-store.js';
import { type JetStreamStore, destroyJetStreamStore, openJetStreamStore } from '../../src/store/jetstream/jetstream-store.js';
import { describeControlStoreContract } from '../control/control-store-contract.js';
import { hasNatsServer, startNats } from './jetstream-server.js';

describe('jetstream control store (commands, config) against a real nats-server @e2e', function () {
  this.timeout(30_000);
  let nats: Awaited<ReturnType<typeof startNats>> | undefined;
  const open: JetStreamStore[] = [];

  before(async function () {
    if (!hasNatsServer()) {
      console.warn('skipping: nats-server is not installed in /usr/sbin or /usr/bin (apt-get install nats-server)');
      this.skip();
    }
    nats = await startNats(1);
  });
  after(async () => {
    for (const s of open) await s.close();
    await nats?.stop();
  });

  const storeFor = async (prefix: string): Promise<JetStreamStore> => {
    const s = await openJetStreamStore({ servers: nats!.urls, prefix });
    open.push(s);
    return s;
  };

  describeControlStoreContract('jetstream KV', async () => {
    const prefix = `c${randomBytes(4).toString('hex')}`;
    return {
      store: await openJetStreamControlStore(await storeFor(prefix)),
      // another node: its own connection and store over the same buckets
      peer: async () => openJetStreamControlStore(await storeFor(prefix)),
      cleanup: async () => {
        const nc = await connect({ servers: nats!.urls });
        await destroyJetStreamStore(await nc.jetstreamManager(), normalizeJetStreamOptions({ servers: nats!.urls, prefix }));
        await nc.close();
      },
    };
  }, { shared: true });
});
