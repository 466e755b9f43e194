import assert from 'node:assert/strict';
import type { Identity } from '@causeway/broker';
import { QueueCardinality } from '../../src/identity/queue-cardinality.js';
import { causewayBrokerHooks } from '../../src/app/broker-hooks.js';

describe('cloud/identity/queue-cardinality: light queues per gateway (issue 23 item 11)', () => {
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

  it('the cloud applies it to gateways only, through the broker hook', () => {
    const hooks = causewayBrokerHooks({ maxQueuesPerGateway: 1 });
    const gw: Identity = { role: 'gateway', id: 'gw1', groups: [] };
    const app: Identity = { role: 'app', id: 'billing', queues: [], canSend: true };
    assert.equal(hooks.admitTopic(gw, 'telemetry/gw1/d1/t'), true);
    assert.equal(hooks.admitTopic(gw, 'telemetry/gw1/d2/t'), false);
    assert.equal(hooks.admitTopic(app, 'cmd/gw1/d2/c1'), true);
    assert.deepEqual(hooks.serverQueues('telemetry/gw1/d1/t'), ['q:telemetry']);
  });
});
