import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReadingBatch } from '../../../shared/src/envelopes/types.js';
import { startFaultProxy, type FaultProxy } from '../../../firmware-sim/src/fault-proxy/fault-proxy.js';
import { startAgent, type Agent } from '../helpers/agent.js';
import { startCollector, type Collector } from '../helpers/collector.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';

const T0 = 1_700_000_000_000;
const ROUNDS = 6;

describe('edge e2e 03-kill-9: SIGKILL while readings flow and the link flaps @e2e', function () {
  this.timeout(120_000);
  let broker: Mosquitto;
  let proxy: FaultProxy;
  let sub: Collector;
  let dir: string;
  let agent: Agent | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edge-e2e03-'));
    broker = await startMosquitto();
    proxy = await startFaultProxy({ targetPort: broker.port });
    sub = await startCollector(broker.url);
  });
  after(async () => {
    await agent?.kill('SIGKILL');
    await proxy?.close();
    await sub?.close();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every committed reading arrives; duplicates only ever carry the same batch id and content', async () => {
    const gw = 'gw-e2e3';
    const args = [
      '--gateway.id', gw, '--cloud.url', `mqtt://127.0.0.1:${proxy.port}`, '--store.path', join(dir, 'outbox.db'),
      '--cloud.keepaliveSeconds', '2', '--cloud.connectTimeoutSeconds', '2', '--cloud.backoffBaseMs', '100', '--cloud.backoffMaxMs', '500',
      '--uplink.batchMaxReadings', '20', '--uplink.inflight', '4', '--log.level', 'warn',
    ];
    const committed: string[] = [];
    let next = 0;
    proxy.flap({ downMs: 300, upMs: 700 });
    for (let round = 0; round < ROUNDS; round++) {
      agent = startAgent(args);
      const a = agent;
      const sent: string[] = [];
      // The kill clock starts once the agent has committed its first line: start-up time (tsx, a
      // loaded machine) must not decide whether a round tests anything.
      const ts0 = T0 + next++;
      a.send({ device: `dev${ts0 % 4}`, stream: 'v', ts: ts0, value: ts0 % 1000 });
      sent.push(`dev${ts0 % 4}/v/${ts0}`);
      await a.waitAck(1, 20_000);
      const started = Date.now();
      const runFor = 1200 + round * 150;
      // Feed readings in bursts until the kill; bounded in count and time.
      for (let burst = 0; burst < 200 && Date.now() - started < runFor; burst++) {
        for (let i = 0; i < 25; i++) {
          const ts = T0 + next++;
          a.send({ device: `dev${ts % 4}`, stream: 'v', ts, value: ts % 1000 });
          sent.push(`dev${ts % 4}/v/${ts}`);
        }
        await new Promise((r) => setTimeout(r, 15));
      }
      await a.kill('SIGKILL');
      const ok = sent.filter((_, i) => i + 1 <= a.acked && !a.nacked.has(i + 1));
      assert.equal(a.nacked.size, 0, 'nothing is refused at this rate');
      committed.push(...ok);
      assert.ok(ok.length > 1, `round ${round} committed readings (acked ${a.acked} of ${sent.length}); stderr ${a.stderr.slice(-300)}`);
    }
    assert.ok(committed.length > 500, `enough readings were committed (${committed.length})`);

    proxy.restore();
    agent = startAgent(args);
    await sub.waitFor(() => committed.every((k) => sub.readings.has(k)), 60_000, 'every committed reading').catch((err) => {
      const missing = committed.filter((k) => !sub.readings.has(k));
      throw new Error(`${missing.length} of ${committed.length} committed readings missing, e.g. ${missing.slice(0, 5).join(', ')}`, { cause: err });
    });

    for (const [k, ids] of sub.readings) assert.equal(ids.size, 1, `reading ${k} came in ${ids.size} different batches: ${[...ids].join(', ')}`);
    const byId = new Map<string, ReadingBatch>();
    let dups = 0;
    for (const b of sub.batches) {
      const seen = byId.get(b.id);
      if (seen) {
        dups++;
        assert.deepEqual(b, seen, `batch ${b.id} was re-sent with different content`);
      } else byId.set(b.id, b);
    }
    // Informational: how many re-sends the crashes caused (duplicates are allowed, loss is not).
    console.log(`      ${committed.length} committed, ${sub.readings.size} distinct readings received, ${dups} duplicate batches, ${proxy.stats.cuts} cuts`);
  });
});
