import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCall, freePort, startBroker, type BrokerProcess } from '../../../cloud/test/e2e/fixtures/broker-process.js';
import { readStatus } from '@causeway/shared/health';
import { startAgent, type Agent } from '../helpers/agent.js';

interface Snapshot {
  link: { connects: number; refusedSplit: number; refusedQuarantined: number; connected: boolean };
  outbox: { records: number; quarantined: Record<string, number> };
  stdin: { drops: Record<string, number> };
}

/**
 * Issue 23 item 5 end to end on our own cloud with a small limits.maxPacketSize: one reading that passes
 * ingest but makes its batch larger than the broker takes, among normal readings of the same stream.
 * The broker closes the connection on that batch; the agent splits the batch until the reading is alone,
 * quarantines it and reports it as an event, and every normal reading — before and behind it — reaches
 * the cloud's telemetry queue; the agent then stays connected instead of reconnecting for ever. Lines
 * too large for ingest (a reading over ingest.maxReadingBytes, a line far longer) are refused and counted.
 */
describe('edge e2e 11: an oversized reading neither blocks the uplink nor loops the connection @e2e', function () {
  this.timeout(120_000);
  let dir: string;
  let cloud: BrokerProcess;
  let agent: Agent | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edge-e2e11-'));
    cloud = await startBroker(join(dir, 'cloud'), ['--limits.maxPacketSize', '4096']);
  });
  after(async () => {
    await agent?.kill('SIGKILL');
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the normal readings reach the telemetry queue, the oversized one is quarantined and reported, the link settles', async () => {
    const store = join(dir, 'edge', 'outbox.db');
    const statusPath = join(dir, 'edge', 'status.sock');
    const args = (url: string): string[] => [
      '--gateway.id', 'gw-e2e11',
      '--cloud.url', url,
      '--cloud.backoffBaseMs', '200',
      '--store.path', store,
      '--ingest.maxReadingBytes', '200000',
      '--uplink.batchMaxBytes', String(1 << 20),
      '--uplink.deflate', 'false',
    ];
    // First offline (nothing listens there), so the whole backlog is one batch when the link comes:
    // the oversized reading among 40 normal ones, which makes the split path certain.
    agent = startAgent(args(`mqtt://127.0.0.1:${await freePort()}`));
    const T = Date.now();
    const normal = (i: number): void => agent!.send({ device: 'd1', stream: 's', ts: T + i, value: i });
    for (let i = 1; i <= 20; i++) normal(i);
    // Under ingest's cap, over the broker's. (100 KB, not just over 4 KiB: the cloud broker checks the
    // limit between TCP reads, so a packet that arrives in one read slips past it — reported to the lead.)
    agent.send({ device: 'd1', stream: 's', ts: T + 21, value: 'x'.repeat(100_000) });
    agent.send({ device: 'd1', stream: 's', ts: T + 22, value: 'y'.repeat(300_000) }); // over ingest.maxReadingBytes
    agent.sendRaw(JSON.stringify({ device: 'd1', stream: 's', ts: T + 23, value: 'z'.repeat(5_000_000) })); // a 5 MB line, over the line cap
    for (let i = 24; i <= 43; i++) normal(i);
    await agent.waitAck(43, 20_000);
    assert.deepEqual([...agent.nacked].sort((a, b) => a - b), [22, 23], 'the two lines too large for ingest are refused');
    const s0 = (await readStatus(statusPath)) as unknown as Snapshot;
    assert.deepEqual(s0.stdin.drops, { oversized: 1, overlong: 1 }, 'counted by reason in the status');
    assert.equal(s0.outbox.records, 41);
    await agent.kill('SIGTERM');
    agent = startAgent(args(`mqtt://127.0.0.1:${cloud.port}`));

    const api = `http://127.0.0.1:${cloud.apiPort}`;
    const token = readFileSync(join(dir, 'cloud', 'operator-token'), 'utf8').trim();
    const want = [...Array.from({ length: 20 }, (_, i) => T + 1 + i), ...Array.from({ length: 20 }, (_, i) => T + 24 + i)];
    const seen = new Set<number>();
    const events: Array<{ event: string; data?: Record<string, unknown> }> = [];
    const deadline = Date.now() + 60_000;
    while ((!want.every((ts) => seen.has(ts)) || !events.some((e) => e.event === 'outbox-quarantine')) && Date.now() < deadline) {
      for (const q of ['telemetry', 'events']) {
        const r = await apiCall(api, token, 'POST', `/v1/queues/${q}/groups/check/pull`, { member: 'm', max: 1000, waitMs: 300 });
        for (const m of r.messages) {
          if (m.envelope.type === 'batch') for (const x of m.envelope.readings) seen.add(x.ts);
          if (m.envelope.type === 'event') events.push(m.envelope);
        }
        if (r.messages.length > 0) await apiCall(api, token, 'POST', `/v1/queues/${q}/groups/check/ack`, { member: 'm', offsets: r.messages.map((m: { offset: number }) => m.offset) });
      }
    }
    assert.deepEqual(want.filter((ts) => !seen.has(ts)), [], 'every normal reading, before and behind the oversized one, is in the telemetry queue');
    assert.ok(!seen.has(T + 21) && !seen.has(T + 22) && !seen.has(T + 23), 'no oversized reading reached the cloud');
    const q = events.find((e) => e.event === 'outbox-quarantine');
    assert.ok(q, `an outbox-quarantine event reached the cloud: ${JSON.stringify(events.map((e) => e.event))}`);
    assert.equal(q.data?.records, 1);
    assert.match(String(q.data?.reason), /maximum packet size/);

    const s1 = (await readStatus(statusPath)) as unknown as Snapshot;
    assert.equal(s1.link.refusedQuarantined, 1);
    assert.ok(s1.link.refusedSplit >= 1, 'the multi-reading batch was split before a single reading was quarantined');
    assert.deepEqual(s1.outbox.quarantined, { alarm: 0, telemetry: 1, bulk: 0 });
    assert.ok(s1.link.connects < 25, `a bounded number of reconnects (${s1.link.connects}), not a loop`);
    await new Promise((r) => setTimeout(r, 4000));
    const s2 = (await readStatus(statusPath)) as unknown as Snapshot;
    assert.equal(s2.link.connected, true);
    assert.equal(s2.link.connects, s1.link.connects, 'no reconnect once the refused reading is out of the way');
    assert.equal(s2.outbox.records, 0, 'the outbox is drained');
  });
});
