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

  it('adds what the heartbeat reports: host resources and the last uplink error; a closed port says so (issue 20)', () => {
    const text = statusSummary(
      {
        gateway: 'gw3',
        link: { connected: false },
        outbox: {},
        ports: [{ device: 'th-1', path: '/dev/ttyUSB0', open: false }],
        health: { uptimeSeconds: 90, diskFreeBytes: 5 * 1024 * 1024, memFreeBytes: 200 * 1024 * 1024, rssBytes: 60 * 1024 * 1024, lastUplinkError: { message: 'connect ECONNREFUSED 10.0.0.1:1883', at: now - 120_000 } },
      },
      now,
    );
    assert.match(text, /\nPorts:\s+th-1 on \/dev\/ttyUSB0 \(closed\)\n/);
    assert.match(text, /\nHost:\s+up 90s; disk free 5\.0 MiB; memory free 200\.0 MiB, agent RSS 60\.0 MiB\n/);
    assert.match(text, /\nLast error:\s+connect ECONNREFUSED 10\.0\.0\.1:1883 \(2m ago\)\n/);
  });

  it('says DISCONNECTED and never for an agent that has not uploaded', () => {
    assert.match(statusSummary({ gateway: 'gw2', link: { connected: false }, outbox: {} }, now), /\nLink:\s+DISCONNECTED; last upload never;/);
  });
});
