import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readStatus } from '@causeway/shared/health';
import { startAgent } from '../helpers/agent.js';
import { forwardRig } from '../helpers/forward-rig.js';

const T0 = 1_700_000_000_000;
const STREAMS = 4;

/**
 * Issue 16: the direct path under a flapping link. Readings flow at ~200/s over four streams while the
 * fault proxy cuts the link every second and once blackholes it; direct batches in flight at a cut go
 * again (from memory, or from the file once their deadline passed) under the same id. Every reading
 * acknowledged to the device arrives, and each stream arrives in order.
 */
describe('edge e2e 20-direct-path-flap: the direct path while the link flaps @e2e', function () {
  this.timeout(120_000);
  const rig = forwardRig('e2e20', { proxy: true });

  it('every acknowledged reading arrives, each stream in order, same id and content on every re-send', async () => {
    const gw = 'gw-e2e20';
    const agent = startAgent([
      '--gateway.id', gw, '--cloud.url', `mqtt://127.0.0.1:${rig.proxy.port}`, '--store.path', join(rig.dir, 'outbox.db'),
      '--cloud.keepaliveSeconds', '1', '--cloud.connectTimeoutSeconds', '2', '--cloud.backoffBaseMs', '100', '--cloud.backoffMaxMs', '300',
      '--buffer.direct', 'true', '--buffer.commitIntervalMs', '250', '--uplink.batchDelayMs', '100', '--uplink.batchMaxReadings', '20', '--log.level', 'warn',
    ]);
    rig.agents.push(agent);
    const sent: string[] = [];
    let next = 0;
    const feed = async (ms: number): Promise<void> => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        for (let i = 0; i < 4; i++) {
          const ts = T0 + next++;
          agent.send({ device: 'flap', stream: `s${ts % STREAMS}`, ts, value: ts % 1000 });
          sent.push(`flap/s${ts % STREAMS}/${ts}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await feed(1500); // link up: the direct path carries the stream
    await agent.waitAck(sent.length, 15_000);
    const before = (await readStatus(join(rig.dir, 'status.sock'))) as { outbox: { directAcked: number } };
    assert.ok(before.outbox.directAcked > 0, 'the direct path was taken while the link was up');
    rig.proxy.flap({ downMs: 300, upMs: 700 });
    await feed(4000);
    rig.proxy.blackhole();
    await feed(1500);
    rig.proxy.flap({ downMs: 300, upMs: 700 });
    await feed(3000);
    rig.proxy.restore();
    await feed(1000);
    await agent.waitAck(sent.length, 20_000);
    const acked = sent.filter((_, i) => !agent.nacked.has(i + 1));
    assert.equal(agent.nacked.size, 0, 'nothing refused');
    await rig.sub.waitFor(() => acked.every((k) => rig.sub.readings.has(k)), 60_000, 'every acknowledged reading').catch((err) => {
      const missing = acked.filter((k) => !rig.sub.readings.has(k));
      throw new Error(`${missing.length} of ${acked.length} missing, e.g. ${missing.slice(0, 5).join(', ')}`, { cause: err });
    });
    for (const [k, ids] of rig.sub.readings) assert.equal(ids.size, 1, `reading ${k} came in ${ids.size} different batches`);
    const firstSeen = new Map<string, number[]>();
    const seen = new Set<string>();
    const byId = new Map<string, unknown>();
    for (const b of rig.sub.batches) {
      const prev = byId.get(b.id);
      if (prev !== undefined) assert.deepEqual(b, prev, `batch ${b.id} re-sent with different content`);
      byId.set(b.id, b);
      for (const r of b.readings) {
        const k = `${b.stream}/${r.ts}`;
        if (seen.has(k)) continue;
        seen.add(k);
        firstSeen.set(b.stream, [...(firstSeen.get(b.stream) ?? []), r.ts]);
      }
    }
    for (const [stream, ts] of firstSeen) {
      const outOfOrder = ts.findIndex((t, i) => i > 0 && t < ts[i - 1]!);
      assert.equal(outOfOrder, -1, `stream ${stream} arrived out of order at ${outOfOrder}: ${ts.slice(Math.max(0, outOfOrder - 2), outOfOrder + 2).join(', ')}`);
    }
    const after = (await readStatus(join(rig.dir, 'status.sock'))) as { outbox: { directAcked: number }; link: { connects: number } };
    console.log(`      ${acked.length} acknowledged, ${after.outbox.directAcked} settled by a PUBACK before any write, ${after.link.connects} connects, ${rig.proxy.stats.cuts} cuts`);
  });
});
