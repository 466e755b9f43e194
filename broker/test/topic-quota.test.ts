import assert from 'node:assert/strict';
import type { AccessControl } from '../src/access.js';
import { Harness } from './fixtures/harness.js';

describe('broker: a topic quota refuses publishes (the cloud gives one per gateway, issue 23 item 11)', () => {
  describe('in the broker', () => {
    let h: Harness | undefined;
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });
    const asGateway: AccessControl = {
      authenticate: async (info) => ({ ok: true, identity: { role: 'gateway', id: info.clientId, groups: [] } }),
      canPublish: () => ({ allow: true }),
      canSubscribe: () => ({ allow: true }),
    };

    for (const version of [5, 4] as const) {
      it(`refuses a gateway's publishes on new topics past its quota (v${version}: ${version === 5 ? '0x97' : 'acknowledged, dropped'}), counted; known topics still flow`, async () => {
        // A quota of 3 topics per publisher, as the cloud's hook gives per gateway; and the first-level server
        // queue, also the cloud's rule.
        const seen = new Set<string>();
        h = await new Harness({
          access: asGateway,
          serverQueues: (t) => [`q:${t.split('/')[0]}`],
          admitTopic: (_who, topic) => seen.has(topic) || (seen.size < 3 && seen.add(topic) !== undefined),
        }).start();
        // An app holds every topic exactly, so each one stored gets its own light queue.
        const app = await h.client({ clientId: 'app' });
        await app.subscribeAsync(Array.from({ length: 10 }, (_, i) => `telemetry/gw1/d${i}/temp`), { qos: 1 });
        const before = (await h.store.log.stats()).queues;
        const gw = await h.client({ clientId: 'gw1', protocolVersion: version });
        const codes: number[] = [];
        for (let i = 0; i < 10; i++) {
          // MQTT.js rejects a PUBACK with a failure code; the code is on the error.
          codes.push(await gw.publishAsync(`telemetry/gw1/d${i}/temp`, 'x', { qos: 1 }).then((r) => (r as { reasonCode?: number } | undefined)?.reasonCode ?? 0, (err: { code?: number }) => err.code ?? -1));
        }
        if (version === 5) assert.deepEqual(codes, [0, 0, 0, 0x97, 0x97, 0x97, 0x97, 0x97, 0x97, 0x97]);
        assert.equal(h.broker.counters.queueLimitRefused, 7);
        assert.equal(h.broker.counters.publishesIn, 3, 'the refused ones are not stored');
        // first-level queue + 3 light queues
        assert.equal((await h.store.log.stats()).queues - before, 4);
        await gw.publishAsync('telemetry/gw1/d0/temp', 'y', { qos: 1 });
        assert.equal(h.broker.counters.publishesIn, 4, 'a known topic still flows');
      });
    }
  });
});
