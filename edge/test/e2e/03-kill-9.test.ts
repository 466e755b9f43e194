import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReadingBatch } from '@causeway/shared';
import { startFaultProxy, type FaultProxy } from '@causeway/sim/fault-proxy/fault-proxy.js';
import { startAgent, type Agent } from '../helpers/agent.js';
import { killNineRounds } from '../helpers/kill-rounds.js';
import { startCollector, type Collector } from '../helpers/collector.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';

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
    proxy.flap({ downMs: 300, upMs: 700 });
    const { committed, args } = await killNineRounds({ gateway: 'gw-e2e3', url: `mqtt://127.0.0.1:${proxy.port}`, dir, rounds: ROUNDS, onAgent: (a) => (agent = a) });
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
