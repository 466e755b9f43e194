import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { apiCall, startBroker, type BrokerProcess, waitFor as waitForValue } from '../../../cloud/test/e2e/fixtures/broker-process.js';

/**
 * Issue 23 items 2 and 3 with real processes: causeway-cloud and a causeway-edge connected to it. A
 * remote config must not move the gateway to another broker (it would send its password there), nor
 * pollute the agent with a `__proto__` key. The cloud refuses both at the API; a document that gets past
 * it (here published retained on config/gw1 by an admin client, as an older cloud would have) is
 * REJECTED by the agent naming the key, and the agent stays connected to the real cloud.
 */
describe('edge e2e 15: remote config may not move the gateway or pollute it @e2e', function () {
  this.timeout(120_000);
  let dir: string;
  let cloud: BrokerProcess;
  let api: string;
  let token: string;
  let edge: ChildProcess;
  const edgeLines: string[] = [];
  let attacker: net.Server;
  let attackerUrl: string;
  let attackerConnections = 0;

  const call = (method: string, path: string, body?: unknown): Promise<any> => apiCall(api, token, method, path, body);
  const waitFor = <T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> => waitForValue(what, ms, probe, { everyMs: 200, detail: () => edgeLines.slice(-20).join('\n') });
  const reported = (version: number): Promise<any> =>
    waitFor(`config v${version} reported`, 30_000, async () => {
      const r = (await call('GET', '/v1/config/status')).gateways.find((g: { gateway: string }) => g.gateway === 'gw1');
      return r?.reportedVersion === version ? r : undefined;
    });
  const online = (): Promise<boolean> => waitFor('gw1 online', 20_000, async () => ((await call('GET', '/v1/devices/gw1')).online ? true : undefined));
  /** Publishes a desired config straight into the broker, past the API's checks. */
  const inject = async (version: number, configJson: string): Promise<void> => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${cloud.port}`, { clientId: `e2e-admin-${version}`, reconnectPeriod: 0 });
    await client.publishAsync('config/gw1', `{"v":1,"type":"config","version":${version},"issuedAt":${Date.now()},"config":${configJson}}`, { qos: 1, retain: true });
    await client.endAsync();
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-e2e-rcs-'));
    // anonymous clients are admins here: the test's own client injects what the API refuses
    cloud = await startBroker(join(dir, 'cloud'));
    api = `http://127.0.0.1:${cloud.apiPort}`;
    token = readFileSync(join(dir, 'cloud', 'operator-token'), 'utf8').trim();
    const secret = (await call('POST', '/v1/devices', { id: 'gw1' })).secret as string;
    // a "broker" that only counts who connects to it
    attacker = net.createServer((s) => {
      attackerConnections++;
      s.destroy();
    });
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
    attackerUrl = `mqtt://127.0.0.1:${(attacker.address() as net.AddressInfo).port}`;
    mkdirSync(join(dir, 'gw1'), { recursive: true });
    const cfg = {
      gateway: { id: 'gw1' },
      cloud: { url: `mqtt://127.0.0.1:${cloud.port}`, username: 'gw1', password: secret, backoffBaseMs: 100, backoffMaxMs: 1000 },
      store: { path: join(dir, 'gw1', 'outbox.db') },
      commands: { rollbackTimeoutSeconds: 4 },
      health: { port: 0 },
    };
    writeFileSync(join(dir, 'gw1.json'), JSON.stringify(cfg));
    edge = spawn(process.execPath, ['--import', 'tsx', 'edge/src/main.ts', '--config', join(dir, 'gw1.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
    edge.stdout!.on('data', (c: Buffer) => edgeLines.push(...c.toString().split('\n').filter((l) => l !== '')));
    edge.stderr!.on('data', (c: Buffer) => edgeLines.push(c.toString()));
    await online();
  });
  after(async () => {
    edge?.kill('SIGKILL');
    await cloud?.stop();
    attacker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the cloud refuses a PUT that moves the gateway to another broker: 400 naming cloud.url', async () => {
    for (const [config, key] of [
      [{ cloud: { url: attackerUrl } }, 'cloud.url'],
      [{ cloud: { password: 'x' } }, 'cloud.password'],
      [{ ingest: { mqtt: { url: attackerUrl } } }, 'ingest.mqtt.url'],
    ] as const) {
      const res = await fetch(`${api}/v1/config/gateways/gw1`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ config }) });
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(body.error.code, 'CONFIG_INVALID');
      assert.ok(body.error.message.includes(key), body.error.message);
    }
    assert.equal((await fetch(`${api}/v1/config/gateways/gw1`, { headers: { authorization: `Bearer ${token}` } })).status, 404, 'nothing was stored');
  });

  it('a document that gets past the API with cloud.url is REJECTED by the agent naming the key; it stays on the real cloud', async () => {
    await inject(1000, JSON.stringify({ cloud: { url: attackerUrl }, uplink: { batchMaxReadings: 7 } }));
    const r = await reported(1000);
    assert.equal(r.status, 'REJECTED');
    assert.equal(r.error.key, 'cloud.url');
    const line = edgeLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'desired config rejected');
    assert.equal(line?.configKey, 'cloud.url', 'the log line names the key (issue 23 item 15)');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(attackerConnections, 0, 'the agent never connected to the other broker');
    await online();
    assert.equal(edge.exitCode, null);
  });

  it('a document with __proto__ is REJECTED naming the key, and the agent is not polluted (its /metrics still works)', async () => {
    await inject(1001, '{"__proto__":{"polluted":1},"uplink":{"batchMaxReadings":7}}');
    const r = await reported(1001);
    assert.equal(r.status, 'REJECTED');
    assert.equal(r.error.key, '__proto__');
    const started = edgeLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'agent started');
    const m = await fetch(`http://127.0.0.1:${started!.healthPort as number}/metrics`);
    assert.equal(m.status, 200);
    assert.match(await m.text(), /causeway_outbox/);
    await online();
    assert.equal(edge.exitCode, null);
  });
});
