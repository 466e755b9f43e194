import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ReadingBatch } from '@causeway/shared';
import { startAgent, type Agent } from '../helpers/agent.js';
import { killNineRounds } from '../helpers/kill-rounds.js';
import { forwardRig } from '../helpers/forward-rig.js';

const ROUNDS = 6;

describe('edge e2e 03-kill-9: SIGKILL while readings flow and the link flaps @e2e', function () {
  this.timeout(120_000);
  const rig = forwardRig('e2e03', { proxy: true });
  let agent: Agent | undefined;
  rig.closeFirst(() => agent?.kill('SIGKILL'));

  it('every committed reading arrives; duplicates only ever carry the same batch id and content', async () => {
    rig.proxy.flap({ downMs: 300, upMs: 700 });
    const { committed, args } = await killNineRounds({ gateway: 'gw-e2e3', url: `mqtt://127.0.0.1:${rig.proxy.port}`, dir: rig.dir, rounds: ROUNDS, onAgent: (a) => (agent = a) });
    assert.ok(committed.length > 500, `enough readings were committed (${committed.length})`);

    rig.proxy.restore();
    agent = startAgent(args);
    await rig.sub.waitFor(() => committed.every((k) => rig.sub.readings.has(k)), 60_000, 'every committed reading').catch((err) => {
      const missing = committed.filter((k) => !rig.sub.readings.has(k));
      throw new Error(`${missing.length} of ${committed.length} committed readings missing, e.g. ${missing.slice(0, 5).join(', ')}`, { cause: err });
    });

    for (const [k, ids] of rig.sub.readings) assert.equal(ids.size, 1, `reading ${k} came in ${ids.size} different batches: ${[...ids].join(', ')}`);
    const byId = new Map<string, ReadingBatch>();
    let dups = 0;
    for (const b of rig.sub.batches) {
      const seen = byId.get(b.id);
      if (seen) {
        dups++;
        assert.deepEqual(b, seen, `batch ${b.id} was re-sent with different content`);
      } else byId.set(b.id, b);
    }
    // Informational: how many re-sends the crashes caused (duplicates are allowed, loss is not).
    console.log(`      ${committed.length} committed, ${rig.sub.readings.size} distinct readings received, ${dups} duplicate batches, ${rig.proxy.stats.cuts} cuts`);
  });
});
