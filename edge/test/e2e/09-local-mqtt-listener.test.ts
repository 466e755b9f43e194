import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent, type Agent } from '../helpers/agent.js';
import { startCollector, type Collector } from '../helpers/collector.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';

/**
 * LAN sensors publish to the agent itself: with `ingest.mqtt.listen.port`, the agent hosts the project's
 * own broker (SQLite-backed) and its MQTT source reads from it — no second broker on the gateway.
 */
describe('edge e2e 09: MQTT sensors publish to the listener the agent hosts @e2e', function () {
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
      ingest: { mqtt: { listen: { port: 0 }, sources: [{ topic: 'sensors/+/state', device: '{2}', stream: 'temp', path: 'temp', qos: 1, unit: 'C' }] } },
    };
    writeFileSync(join(dir, 'edge.json'), JSON.stringify(cfg));
    agent = startAgent(['--config', join(dir, 'edge.json')]);
    const deadline = Date.now() + 20_000;
    while (!agent.logs.some((l) => l.msg === 'agent started') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const port = agent.logs.find((l) => l.msg === 'agent started')?.localMqttPort as number | undefined;
    assert.ok(port !== undefined && port > 0, `the agent reports its listener port: ${JSON.stringify(agent.logs.slice(-3))}`);

    const N = 30;
    sim = spawn(process.execPath, ['--import', 'tsx', 'firmware-sim/src/main.ts', 'mqtt', '--profile', 'thermometer', '--url', `mqtt://127.0.0.1:${port}`, '--device', 'th-lan', '--rate', '50', '--count', String(N), '--qos', '1'], { stdio: 'ignore' });
    await sub.waitFor(() => [...sub.readings.keys()].filter((k) => k.startsWith('th-lan/temp/')).length === N, 30_000, `${N} readings from th-lan`);
    const batch = sub.batches.find((b) => b.device === 'th-lan')!;
    assert.equal(batch.gateway, 'gw-e2e9');
    assert.equal(typeof batch.readings[0]!.value, 'number');
    assert.equal(batch.readings[0]!.unit, 'C');
  });
});
