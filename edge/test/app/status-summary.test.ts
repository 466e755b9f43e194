import assert from 'node:assert/strict';
import { statusSummary } from '../../src/app/status-summary.js';

describe('edge/app/status-summary: causeway-edge status for people', () => {
  const now = 1_000_000_000;
  it('summarises link, outbox, drops, config, commands, ingest and ports', () => {
    const text = statusSummary(
      {
        gateway: 'gw1',
        version: '0.1.0',
        link: { connected: true, connects: 2, published: 10, acked: 9, resent: 1, inflight: 1, downlinkInvalid: 0, lastAckAt: now - 5000 },
        outbox: { records: 12, bytes: 2048, evicted: { alarm: 0, telemetry: 3, bulk: 0 }, expired: { alarm: 0, telemetry: 0, bulk: 0 }, rejectedFull: 0, oldestAgeSeconds: 4.2 },
        ingest: { frames: 40, dropped: 0 },
        commands: { received: 2, succeeded: 2 },
        config: { version: 7 },
        ports: [{ device: 'th-1', path: '/dev/ttyUSB0' }],
      },
      now,
    );
    assert.equal(
      text,
      [
        'Gateway:  gw1 (causeway-edge 0.1.0)',
        'Link:     connected; last upload 5s ago; 9 batches acked, 1 in flight, 1 resent, 2 connects',
        'Outbox:   12 records (2.0 KiB), oldest 4s',
        'Dropped:  evicted: telemetry 3; expired: none',
        'Config:   version 7',
        'Commands: received 2, succeeded 2',
        'Ingest:   frames 40',
        'Ports:    th-1 on /dev/ttyUSB0',
        '',
      ].join('\n'),
    );
  });

  it('says DISCONNECTED and never for an agent that has not uploaded', () => {
    assert.match(statusSummary({ gateway: 'gw2', link: { connected: false }, outbox: {} }, now), /\nLink:\s+DISCONNECTED; last upload never;/);
  });
});
