import assert from 'node:assert/strict';
import { cloudMetrics } from '../../src/app/cloud-metrics.js';
import { type Broker, createMemoryStore } from '@causeway/broker';
import type { CommandService } from '../../src/control/command-service.js';
import type { ClusteredQueuesCounters } from '../../src/store/jetstream/clustered-queues.js';
import { newApiCounters } from '../../src/api/api-counters.js';

describe('cloud/app/cloud-metrics', () => {
  const broker = { counters: { connectionsOpen: 3, publishesIn: 10 } } as unknown as Broker;
  const commands = { list: async () => [] } as unknown as CommandService;

  it('exports the broker counters, and the consumer-group counters of a clustered node', async () => {
    const store = createMemoryStore();
    try {
      const counters: ClusteredQueuesCounters = { forwarded: 7, served: 2, evicted: 1, released: 0, lost: 1 };
      const registry = cloudMetrics(broker, store.log, commands, { counters });
      const text = await registry.metrics();
      assert.match(text, /causeway_broker_events\{counter="connectionsOpen"\} 3/);
      assert.match(text, /causeway_consumer_groups\{counter="forwarded"\} 7/);
      assert.match(text, /causeway_consumer_groups\{counter="evicted"\} 1/);
      counters.forwarded = 9; // read at scrape time, not copied
      assert.match(await registry.metrics(), /causeway_consumer_groups\{counter="forwarded"\} 9/);
      // one node (SQLite): no such metric
      assert.doesNotMatch(await cloudMetrics(broker, store.log, commands).metrics(), /causeway_consumer_groups|causeway_jetstream_log/);
    } finally {
      await store.close();
    }
  });

  it('exports the JetStream log counters of a JetStream node, read at scrape time (issue 23)', async () => {
    const store = createMemoryStore();
    try {
      const counters = { chains: 4, retriedUnavailable: 12, failedUnavailable: 0, directCatchUps: 1 };
      const registry = cloudMetrics(broker, store.log, commands, undefined, undefined, { counters });
      assert.match(await registry.metrics(), /causeway_jetstream_log\{counter="retriedUnavailable"\} 12/);
      counters.failedUnavailable = 3;
      assert.match(await registry.metrics(), /causeway_jetstream_log\{counter="failedUnavailable"\} 3/);
    } finally {
      await store.close();
    }
  });

  it('exports the certificate counters (revoked refusals, renewals), read at scrape time', async () => {
    const store = createMemoryStore();
    try {
      const c = { certRevokedRefused: 0, renewed: 1 };
      const registry = cloudMetrics(broker, store.log, commands, undefined, undefined, undefined, undefined, undefined, undefined, () => c);
      assert.match(await registry.metrics(), /causeway_auth_certificates\{counter="renewed"\} 1/);
      c.certRevokedRefused = 3;
      assert.match(await registry.metrics(), /causeway_auth_certificates\{counter="certRevokedRefused"\} 3/);
    } finally {
      await store.close();
    }
  });

  it('exports the HTTP API counters, read at scrape time', async () => {
    const store = createMemoryStore();
    try {
      const api = newApiCounters();
      api.clientErrors = 4;
      const registry = cloudMetrics(broker, store.log, commands, undefined, api);
      assert.match(await registry.metrics(), /causeway_api_events\{counter="clientErrors"\} 4/);
      api.streamsRefused = 2;
      assert.match(await registry.metrics(), /causeway_api_events\{counter="streamsRefused"\} 2/);
    } finally {
      await store.close();
    }
  });
});
