import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startAgent, type Agent } from '../helpers/agent.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';

const run = promisify(execFile);

/** How an operator watches a running agent: `causeway-edge status`, /healthz, /metrics, and SIGHUP reload. */
describe('edge e2e 08: status, health, metrics and reload of the running agent @e2e', function () {
  this.timeout(60_000);
  let broker: Mosquitto;
  let dir: string;
  let agent: Agent;
  let health: string;
  const configFile = (): string => join(dir, 'edge.json');
  const writeConfig = (extra: Record<string, unknown> = {}): void =>
    writeFileSync(configFile(), JSON.stringify({ gateway: { id: 'gw-e2e8' }, cloud: { url: broker.url }, store: { path: join(dir, 'outbox.db') }, health: { port: 0 }, ...extra }));
  const until = async (what: string, cond: () => boolean, ms: number): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; logs: ${JSON.stringify(agent.logs.slice(-5))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edge-e2e08-'));
    broker = await startMosquitto();
    writeConfig();
    agent = startAgent(['--config', configFile()]);
    await until('agent started', () => agent.logs.some((l) => l.msg === 'agent started'), 20_000);
    health = `http://127.0.0.1:${agent.logs.find((l) => l.msg === 'agent started')!.healthPort as number}`;
  });
  after(async () => {
    await agent?.kill('SIGKILL');
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('causeway-edge status reports link, outbox and counters from the running agent', async () => {
    for (let i = 0; i < 5; i++) agent.send({ device: 'd1', stream: 'temp', ts: Date.now(), value: 20 + i });
    await agent.waitAck(5, 10_000);
    let snap: any;
    const deadline = Date.now() + 10_000;
    do {
      const r = await run(process.execPath, ['--import', 'tsx', 'edge/src/main.ts', 'status', '--json', '--config', configFile()], { timeout: 20_000 });
      snap = JSON.parse(r.stdout);
      if (snap.link.connected && snap.link.lastAckAt !== undefined) break;
      await new Promise((r2) => setTimeout(r2, 200));
    } while (Date.now() < deadline);
    assert.equal(snap.gateway, 'gw-e2e8');
    assert.equal(snap.link.connected, true);
    assert.ok(snap.link.lastAckAt > 0, 'last successful upload');
    assert.equal(typeof snap.outbox.records, 'number');
    assert.deepEqual(Object.keys(snap.outbox.evicted).sort(), ['alarm', 'bulk', 'telemetry']);
    assert.equal(snap.config.version, 0);
    // Without --json: a readable summary (issue 24).
    const text = (await run(process.execPath, ['--import', 'tsx', 'edge/src/main.ts', 'status', '--config', configFile()], { timeout: 20_000 })).stdout;
    assert.match(text, /^Gateway:\s+gw-e2e8 \(causeway-edge \S+\)\nLink:\s+connected; last upload \d+[smhd] ago; /);
    assert.match(text, /\nOutbox:\s+\d+ records /);
  });

  it('status on a gateway with no agent running fails clearly', async () => {
    await assert.rejects(run(process.execPath, ['--import', 'tsx', 'edge/src/main.ts', 'status', '--store.path', join(dir, 'nowhere', 'outbox.db')], { timeout: 20_000 }), (e: any) => e.code === 74 && /no agent answers/.test(e.stderr));
  });

  it('serves /healthz and Prometheus /metrics on localhost', async () => {
    const h = await fetch(`${health}/healthz`);
    assert.equal(h.status, 200);
    assert.equal(((await h.json()) as { status: string }).status, 'ok');
    const m = await (await fetch(`${health}/metrics`)).text();
    assert.match(m, /causeway_outbox\{what="records"\} \d+/);
    assert.match(m, /causeway_uplink\{what="connected"\} 1/);
    assert.match(m, /process_resident_memory_bytes \d+/);
  });

  it('SIGHUP reloads the config file; a broken file keeps the old config and the agent running', async () => {
    writeConfig({ ingest: { rules: [{ device: 'd1', stream: 'temp', pipeline: [{ type: 'deadband', absolute: 1 }] }] } });
    agent.proc.kill('SIGHUP');
    await until('config reloaded', () => agent.logs.some((l) => l.msg === 'config reloaded'), 10_000);
    writeFileSync(configFile(), '{ "uplink": { "inflight": "lots" ');
    agent.proc.kill('SIGHUP');
    await until('reload failure logged', () => agent.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('config reload failed')), 10_000);
    assert.equal(agent.proc.exitCode, null, 'still running');
    assert.equal((await fetch(`${health}/healthz`)).status, 200);
  });
});
