import assert from 'node:assert/strict';
import { describeStreams, parseNatsSummary } from '../lib/nats-monitor.js';

describe('bench/lib/nats-monitor', () => {
  it('summarises /varz and /jsz: memory, connections and every stream sorted by name', () => {
    const s = parseNatsSummary(
      { mem: 184_000_000, connections: 3 },
      {
        account_details: [
          {
            stream_detail: [
              { name: 'cw_log', state: { messages: 69_280, bytes: 39_500_000, consumer_count: 3 } },
              { name: 'KV_cw_filters', state: { messages: 51_001, bytes: 4_500_000, consumer_count: 0 } },
            ],
          },
        ],
      },
    );
    assert.equal(s.memBytes, 184_000_000);
    assert.equal(s.connections, 3);
    assert.deepEqual(s.streams.map((x) => x.name), ['cw_log', 'KV_cw_filters'].sort((a, b) => a.localeCompare(b)));
    assert.equal(describeStreams(s), 'cw_log 69,280 msgs 39.5 MB 3 consumers, KV_cw_filters 51,001 msgs 4.5 MB');
  });

  it('reports unknown figures as NaN and no streams when JetStream says nothing', () => {
    const s = parseNatsSummary({}, {});
    assert.ok(Number.isNaN(s.memBytes) && Number.isNaN(s.connections));
    assert.deepEqual(s.streams, []);
    assert.equal(describeStreams(s), '');
  });
});
