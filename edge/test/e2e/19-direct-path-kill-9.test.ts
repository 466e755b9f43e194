import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readStatus } from '@causeway/shared/health';
import { startAgent, type Agent } from '../helpers/agent.js';
import { killNineRounds } from '../helpers/kill-rounds.js';
import { forwardRig } from '../helpers/forward-rig.js';

const ROUNDS = 5;

/**
 * Issue 16: with the link up, readings go out before their commit (the direct path) and the device ACK
 * comes from the PUBACK or from the commit, whichever is first. SIGKILL mid-stream, while direct
 * batches are in flight and not in the file: every reading the agent acknowledged must still arrive.
 */
describe('edge e2e 19-direct-path-kill-9: SIGKILL mid-stream while readings go out before their commit @e2e', function () {
  this.timeout(120_000);
  const rig = forwardRig('e2e19');
  let agent: Agent | undefined;
  rig.closeFirst(() => agent?.kill('SIGKILL'));

  it('every reading acknowledged to the device arrives at the cloud, and most were never written locally', async () => {
    let directAcked = 0;
    let written = 0;
    const { committed, args } = await killNineRounds({
      gateway: 'gw-e2e19',
      url: rig.broker.url,
      dir: rig.dir,
      rounds: ROUNDS,
      onAgent: (a) => (agent = a),
      // the defaults of issue 16, spelled out so this test keeps testing the direct path if they change
      extraArgs: ['--buffer.direct', 'true', '--buffer.commitIntervalMs', '250', '--uplink.batchDelayMs', '100'],
      beforeKill: async () => {
        const s = (await readStatus(join(rig.dir, 'status.sock'))) as { outbox: { directAcked: number; records: number } };
        directAcked += s.outbox.directAcked;
        written += s.outbox.records;
      },
    });
    assert.ok(committed.length > 500, `enough readings were acknowledged (${committed.length})`);
    assert.ok(directAcked > committed.length / 4, `the direct path carried the stream (${directAcked} of ${committed.length} settled by a PUBACK; ${written} rows in the file at the kills)`);

    agent = startAgent(args);
    await rig.sub.waitFor(() => committed.every((k) => rig.sub.readings.has(k)), 60_000, 'every acknowledged reading').catch((err) => {
      const missing = committed.filter((k) => !rig.sub.readings.has(k));
      throw new Error(`${missing.length} of ${committed.length} acknowledged readings missing, e.g. ${missing.slice(0, 5).join(', ')}`, { cause: err });
    });
    // a re-sent batch carries the same id and readings: the cloud's dedupe keeps one copy
    for (const [k, ids] of rig.sub.readings) assert.equal(ids.size, 1, `reading ${k} came in ${ids.size} different batches: ${[...ids].join(', ')}`);
    console.log(`      ${committed.length} acknowledged; ${directAcked} readings settled by a PUBACK before any write (status read before each kill)`);
  });
});
