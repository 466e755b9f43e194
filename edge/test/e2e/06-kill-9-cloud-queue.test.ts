import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFaultProxy, type FaultProxy } from '@causeway/sim/fault-proxy/fault-proxy.js';
import { apiCall, startBroker, type BrokerProcess } from '../../../cloud/test/e2e/fixtures/broker-process.js';
import { startAgent, type Agent } from '../helpers/agent.js';
import { killNineRounds } from '../helpers/kill-rounds.js';

/**
 * Issue 4's promise end to end on our own cloud: kill -9 the agent repeatedly while readings flow and the
 * link flaps; at the server-side `telemetry` queue every committed reading arrives exactly once (the
 * cloud drops re-sent batches by `clientId:batchId` before they reach the queue), in per-stream order.
 */
describe('edge e2e 06: kill -9 and a flapping link, checked at the cloud server-side queue @e2e', function () {
  this.timeout(150_000);
  let dir: string;
  let cloud: BrokerProcess;
  let proxy: FaultProxy;
  let agent: Agent | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edge-e2e06-'));
    cloud = await startBroker(join(dir, 'cloud'));
    proxy = await startFaultProxy({ targetPort: cloud.port });
  });
  after(async () => {
    await agent?.kill('SIGKILL');
    await proxy?.close();
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every committed reading is in the telemetry queue exactly once, in per-stream order', async () => {
    proxy.flap({ downMs: 300, upMs: 700 });
    const { committed, args } = await killNineRounds({ gateway: 'gw-e2e6', url: `mqtt://127.0.0.1:${proxy.port}`, dir, rounds: 5, onAgent: (a) => (agent = a) });
    assert.ok(committed.length > 400, `enough readings were committed (${committed.length})`);
    proxy.restore();
    agent = startAgent(args);

    const api = `http://127.0.0.1:${cloud.apiPort}`;
    const token = readFileSync(join(dir, 'cloud', 'operator-token'), 'utf8').trim();
    const seen = new Map<string, number>();
    const batchIds = new Map<string, number>();
    /** per stream: readings out of order in queue order (a reading older than one before it) */
    const lastTs = new Map<string, number>();
    let inversions = 0;
    const deadline = Date.now() + 60_000;
    while (!committed.every((k) => seen.has(k)) && Date.now() < deadline) {
      const r = await apiCall(api, token, 'POST', '/v1/queues/telemetry/groups/check/pull', { member: 'm', max: 1000, waitMs: 500 });
      for (const m of r.messages) {
        const b = m.envelope;
        assert.equal(b?.type, 'batch', `a batch envelope at offset ${m.offset}`);
        batchIds.set(b.id, (batchIds.get(b.id) ?? 0) + 1);
        for (const x of b.readings) {
          const stream = `${b.device}/${b.stream}`;
          if (x.ts < (lastTs.get(stream) ?? 0)) inversions++;
          lastTs.set(stream, Math.max(x.ts, lastTs.get(stream) ?? 0));
        }
        for (const x of b.readings) seen.set(`${b.device}/${b.stream}/${x.ts}`, (seen.get(`${b.device}/${b.stream}/${x.ts}`) ?? 0) + 1);
      }
      if (r.messages.length > 0) await apiCall(api, token, 'POST', '/v1/queues/telemetry/groups/check/ack', { member: 'm', offsets: r.messages.map((m: { offset: number }) => m.offset) });
    }
    const missing = committed.filter((k) => !seen.has(k));
    assert.deepEqual(missing.slice(0, 5), [], `${missing.length} of ${committed.length} committed readings missing from the queue`);
    const twice = [...seen].filter(([, n]) => n > 1);
    assert.deepEqual(twice.slice(0, 5), [], `${twice.length} readings are in the queue more than once`);
    assert.deepEqual([...batchIds].filter(([, n]) => n > 1), [], 'no batch is stored twice');
    assert.equal(inversions, 0, 'per-stream order is kept in the queue');
  });
});
