import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startAgent } from '../helpers/agent.js';
import { forwardRig } from '../helpers/forward-rig.js';

describe('edge e2e 01-forward: readings reach a real mosquitto @e2e', function () {
  this.timeout(60_000);
  const rig = forwardRig('e2e01');

  it('forwards committed readings as CBOR+deflate batches, announces itself, and drains on SIGTERM', async () => {
    const agent = startAgent(['--gateway.id', 'gw-e2e1', '--cloud.url', rig.broker.url, '--store.path', join(rig.dir, 'outbox.db'), '--cloud.username', 'edge', '--cloud.password', 'hunter2-secret']);
    rig.agents.push(agent);
    const N = 300;
    for (let i = 0; i < N; i++) agent.send({ device: `dev${i % 3}`, stream: 'temp', ts: 1_700_000_000_000 + i, value: 20 + i / 10, unit: 'C' });
    agent.sendRaw('{not json');
    agent.send({ device: 'bad/device', stream: 'x', ts: 1, value: 1 });
    agent.send({ device: 'door1', event: 'opened', severity: 'alarm', ts: 1_700_000_000_000 });
    await agent.waitAck(N + 3, 20_000);
    assert.deepEqual([...agent.nacked].sort((a, b) => a - b), [N + 1, N + 2], 'bad lines are refused, the rest committed');
    await rig.sub.waitFor(() => rig.sub.readings.size === N, 20_000, `${N} readings`).catch((err) => {
      console.error(rig.sub.readings.size, rig.sub.all.length, JSON.stringify(agent.logs.slice(-10)), agent.stderr);
      throw err;
    });
    await rig.sub.waitFor(() => rig.sub.events.some((e) => e.event === 'opened'), 5000, 'the alarm event');
    for (let i = 0; i < N; i++) assert.ok(rig.sub.readings.has(`dev${i % 3}/temp/${1_700_000_000_000 + i}`), `reading ${i}`);
    const batchMsgs = rig.sub.all.filter((m) => m.env.type === 'batch' && m.env.gateway === 'gw-e2e1');
    assert.ok(batchMsgs.every((m) => m.format.codec === 'cbor' && m.format.deflate && !m.format.plain), 'CBOR+deflate by default');
    const b = rig.sub.batches[0]!;
    assert.equal(b.gateway, 'gw-e2e1');
    assert.match(b.id, /^[0-9a-f]{12}-\d+$/);
    assert.ok(rig.sub.batches.length < N / 2, `readings are batched (${rig.sub.batches.length} batches)`);
    const online = rig.sub.all.filter((m) => m.topic === 'status/gw-e2e1' && m.env.type === 'status' && m.env.online);
    assert.ok(online.length >= 1, 'online status published');

    agent.proc.kill('SIGTERM');
    const { code } = await agent.exited;
    assert.equal(code, 0);
    await rig.sub.waitFor(() => rig.sub.all.some((m) => m.topic === 'status/gw-e2e1' && m.env.type === 'status' && !m.env.online), 5000, 'offline status');
    const logs = JSON.stringify(agent.logs) + agent.stderr;
    assert.ok(!logs.includes('hunter2'), 'the password never reaches the log');
  });

  it('exits 78 on a bad config', async () => {
    const agent = startAgent(['--gateway.id', 'gw/bad', '--cloud.url', rig.broker.url, '--store.path', join(rig.dir, 'x.db')]);
    rig.agents.push(agent);
    const { code } = await agent.exited;
    assert.equal(code, 78);
    assert.match(agent.stderr, /gateway\.id/);
  });
});
