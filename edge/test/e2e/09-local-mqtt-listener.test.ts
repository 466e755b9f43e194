import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { decodeEnvelope, encodeEnvelope } from '@causeway/shared';
import { startAgent, type Agent } from '../helpers/agent.js';
import { startCollector, type Collector } from '../helpers/collector.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';

/**
 * LAN sensors publish to the agent itself: with `ingest.mqtt.listen.port`, the agent hosts the project's
 * own broker (SQLite-backed) and its MQTT source reads from it — no second broker on the gateway.
 */
describe('edge e2e 09: MQTT sensors publish to the listener the agent hosts, and answer commands @e2e', function () {
  this.timeout(60_000);
  let cloud: Mosquitto;
  let sub: Collector;
  let dir: string;
  let agent: Agent | undefined;
  let sim: ChildProcess | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edge-e2e09-'));
    cloud = await startMosquitto();
    sub = await startCollector(cloud.url);
  });
  after(async () => {
    sim?.kill('SIGKILL');
    await agent?.kill('SIGKILL');
    await sub?.close();
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('readings from a simulated MQTT sensor reach the cloud through the agent', async () => {
    const cfg = {
      gateway: { id: 'gw-e2e9' },
      cloud: { url: cloud.url },
      store: { path: join(dir, 'outbox.db') },
      ingest: {
        mqtt: {
          listen: { port: 0 },
          sources: [{ topic: 'sensors/+/state', device: '{2}', stream: 'temp', path: 'temp', qos: 1, unit: 'C' }],
          commandTopic: 'sensors/{device}/cmd',
          replyTopic: 'sensors/{device}/reply',
        },
      },
    };
    writeFileSync(join(dir, 'edge.json'), JSON.stringify(cfg));
    agent = startAgent(['--config', join(dir, 'edge.json')]);
    const deadline = Date.now() + 20_000;
    while (!agent.logs.some((l) => l.msg === 'agent started') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const port = agent.logs.find((l) => l.msg === 'agent started')?.localMqttPort as number | undefined;
    assert.ok(port !== undefined && port > 0, `the agent reports its listener port: ${JSON.stringify(agent.logs.slice(-3))}`);

    const N = 30;
    sim = spawn(
      process.execPath,
      ['--import', 'tsx', 'firmware-sim/src/main.ts', 'mqtt', '--profile', 'thermometer', '--url', `mqtt://127.0.0.1:${port}`, '--device', 'th-lan', '--rate', '50', '--count', String(N), '--qos', '1', '--command-topic', 'sensors/{device}/cmd', '--reply-topic', 'sensors/{device}/reply'],
      { stdio: 'ignore' },
    );
    // Counted per batch id, not per device/stream/ts: the ingest stamps readings on receipt, and with
    // pipelined acks (issue 16) two messages handled in the same millisecond share a ts.
    const received = (): number => [...new Map(sub.batches.filter((b) => b.device === 'th-lan').map((b) => [b.id, b.readings.length])).values()].reduce((a, n) => a + n, 0);
    await sub.waitFor(() => received() === N, 30_000, `${N} readings from th-lan`);
    const batch = sub.batches.find((b) => b.device === 'th-lan')!;
    assert.equal(batch.gateway, 'gw-e2e9');
    assert.equal(typeof batch.readings[0]!.value, 'number');
    assert.equal(batch.readings[0]!.unit, 'C');
  });

  it('a command to an MQTT sensor is published to it and its reply becomes the command result', async () => {
    // a long-running sensor this time (the first one stopped after its count)
    sim?.kill('SIGKILL');
    const port = agent!.logs.find((l) => l.msg === 'agent started')!.localMqttPort as number;
    sim = spawn(
      process.execPath,
      ['--import', 'tsx', 'firmware-sim/src/main.ts', 'mqtt', '--profile', 'thermometer', '--url', `mqtt://127.0.0.1:${port}`, '--device', 'th-lan', '--rate', '5', '--qos', '1', '--command-topic', 'sensors/{device}/cmd', '--reply-topic', 'sensors/{device}/reply'],
      { stdio: 'ignore' },
    );
    const before = sub.batches.length;
    await sub.waitFor(() => sub.batches.length > before, 20_000, 'the sensor publishing again');
    const results: Array<{ status: string; output?: unknown; error?: string }> = [];
    const c = await mqtt.connectAsync(cloud.url, { clientId: `results-${process.pid}` });
    await c.subscribeAsync('cmd-result/gw-e2e9/+/+', { qos: 1 });
    c.on('message', (_t, p) => {
      const env = decodeEnvelope(p);
      if (env.type === 'command-result') results.push(env);
    });
    const send = async (id: string, name: string, args: Record<string, unknown>): Promise<void> => {
      const env = encodeEnvelope({ v: 1, type: 'command', id, name, args, issuedAt: Date.now() });
      await c.publishAsync(`cmd/gw-e2e9/th-lan/${id}`, env, { qos: 1 });
    };
    await send('c-relay', 'set-relay', { state: true });
    await send('c-bad', 'frobnicate', {});
    await sub.waitFor(() => results.filter((r) => r.status !== 'DELIVERED').length === 2, 20_000, 'two results');
    await c.endAsync(true);
    const final = results.filter((r) => r.status !== 'DELIVERED');
    assert.deepEqual(final.map((r) => r.status).sort(), ['REJECTED', 'SUCCEEDED']);
    assert.deepEqual(final.find((r) => r.status === 'SUCCEEDED')!.output, { reply: 'ok set-relay on' });
  });
});
