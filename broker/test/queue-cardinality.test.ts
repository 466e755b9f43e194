import assert from 'node:assert/strict';
import { QueueCardinality } from '../src/queue-cardinality.js';
import type { AccessControl } from '../src/access.js';
import { Harness } from './fixtures/harness.js';

describe('broker: light queues per gateway (issue 23 item 11)', () => {
  describe('QueueCardinality', () => {
    // [gateway, topic, admitted] in order, limit 2
    const STEPS: Array<[string, string, boolean]> = [
      ['gw1', 'telemetry/gw1/d1/temp', true],
      ['gw1', 'telemetry/gw1/d1/temp', true], // the same queue again
      ['gw1', 'events/gw1/d1/high', true],
      ['gw1', 'telemetry/gw1/d2/temp', false], // a third queue
      ['gw1', 'telemetry/gw1/d1/temp', true], // existing ones still flow
      ['gw1', 'cmd-result/gw1/d1/c-1', true], // bounded by the commands the cloud sends: not counted
      ['gw1', 'status/gw1', true],
      ['gw2', 'telemetry/gw2/d2/temp', true], // per gateway
    ];
    it('admits known topics and at most `max` new telemetry/events topics per gateway', () => {
      const q = new QueueCardinality(2);
      assert.deepEqual(STEPS.map(([g, t]) => q.admit(g, t)), STEPS.map(([, , ok]) => ok));
      assert.equal(q.count('gw1'), 2);
    });
    it('0 means no limit', () => {
      const q = new QueueCardinality(0);
      for (let i = 0; i < 5000; i++) assert.equal(q.admit('gw1', `telemetry/gw1/d${i}/t`), true);
    });
  });

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
      it(`refuses a gateway's publishes on new topics past maxQueuesPerGateway (v${version}: ${version === 5 ? '0x97' : 'acknowledged, dropped'}), counted; known topics still flow`, async () => {
        h = await new Harness({ maxQueuesPerGateway: 3, access: asGateway }).start();
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
