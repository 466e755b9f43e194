import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent, type Agent } from '../helpers/agent.js';
import { startCollector, type Collector } from '../helpers/collector.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';

describe('edge e2e 01-forward: readings reach a real mosquitto @e2e', function () {
  this.timeout(60_000);
  let broker: Mosquitto;
  let sub: Collector;
  let dir: string;
  const agents: Agent[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edge-e2e01-'));
    broker = await startMosquitto();
    sub = await startCollector(broker.url);
  });
  after(async () => {
    for (const a of agents) await a.kill('SIGKILL');
    await sub?.close();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('forwards committed readings as CBOR+deflate batches, announces itself, and drains on SIGTERM', async () => {
    const agent = startAgent(['--gateway.id', 'gw-e2e1', '--cloud.url', broker.url, '--store.path', join(dir, 'outbox.db'), '--cloud.username', 'edge', '--cloud.password', 'hunter2-secret']);
    agents.push(agent);
    const N = 300;
    for (let i = 0; i < N; i++) agent.send({ device: `dev${i % 3}`, stream: 'temp', ts: 1_700_000_000_000 + i, value: 20 + i / 10, unit: 'C' });
    agent.sendRaw('{not json');
    agent.send({ device: 'bad/device', stream: 'x', ts: 1, value: 1 });
    agent.send({ device: 'door1', event: 'opened', severity: 'alarm', ts: 1_700_000_000_000 });
    await agent.waitAck(N + 3, 20_000);
    assert.deepEqual([...agent.nacked].sort((a, b) => a - b), [N + 1, N + 2], 'bad lines are refused, the rest committed');
    await sub.waitFor(() => sub.readings.size === N, 20_000, `${N} readings`).catch((err) => {
      console.error(sub.readings.size, sub.all.length, JSON.stringify(agent.logs.slice(-10)), agent.stderr);
      throw err;
    });
    await sub.waitFor(() => sub.events.some((e) => e.event === 'opened'), 5000, 'the alarm event');
    for (let i = 0; i < N; i++) assert.ok(sub.readings.has(`dev${i % 3}/temp/${1_700_000_000_000 + i}`), `reading ${i}`);
    const batchMsgs = sub.all.filter((m) => m.env.type === 'batch' && m.env.gateway === 'gw-e2e1');
    assert.ok(batchMsgs.every((m) => m.format.codec === 'cbor' && m.format.deflate && !m.format.plain), 'CBOR+deflate by default');
    const b = sub.batches[0]!;
    assert.equal(b.gateway, 'gw-e2e1');
    assert.match(b.id, /^[0-9a-f]{12}-\d+$/);
    assert.ok(sub.batches.length < N / 2, `readings are batched (${sub.batches.length} batches)`);
    const online = sub.all.filter((m) => m.topic === 'status/gw-e2e1' && m.env.type === 'status' && m.env.online);
    assert.ok(online.length >= 1, 'online status published');

    agent.proc.kill('SIGTERM');
    const { code } = await agent.exited;
    assert.equal(code, 0);
    await sub.waitFor(() => sub.all.some((m) => m.topic === 'status/gw-e2e1' && m.env.type === 'status' && !m.env.online), 5000, 'offline status');
    const logs = JSON.stringify(agent.logs) + agent.stderr;
    assert.ok(!logs.includes('hunter2'), 'the password never reaches the log');
  });

  it('exits 78 on a bad config', async () => {
    const agent = startAgent(['--gateway.id', 'gw/bad', '--cloud.url', broker.url, '--store.path', join(dir, 'x.db')]);
    agents.push(agent);
    const { code } = await agent.exited;
    assert.equal(code, 78);
    assert.match(agent.stderr, /gateway\.id/);
  });
});
