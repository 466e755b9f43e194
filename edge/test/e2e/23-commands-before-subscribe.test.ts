import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { apiCall, startBroker, type BrokerProcess, waitFor } from '../../../cloud/test/e2e/fixtures/broker-process.js';
import { startAgent, type Agent } from '../helpers/agent.js';

/**
 * A command accepted by the API (HTTP 2xx) reaches its gateway even when the gateway's session had no
 * command subscription when it was sent: a gateway registered but never connected, and a gateway whose
 * connection died between CONNACK and its SUBSCRIBE (the cloud saw it online; the command went to a
 * session that was not subscribed). Real processes: causeway-cloud, causeway-edge, and an MQTT.js client
 * standing in for the half-started agent.
 */
describe('edge e2e 23: commands sent while the gateway had no subscription arrive when it subscribes @e2e', function () {
  this.timeout(120_000);
  let dir: string;
  let cloud: BrokerProcess;
  let api: string;
  let token: string;
  const secrets: Record<string, string> = {};
  const agents: Agent[] = [];
  const call = (method: string, path: string, body?: unknown): Promise<any> => apiCall(api, token, method, path, body);
  const state = async (id: string, gw: string): Promise<string | undefined> => (await call('GET', `/v1/commands/${id}/targets`)).targets.find((t: { gateway: string }) => t.gateway === gw)?.state;
  const gateway = (id: string): Agent => {
    const cfg = {
      gateway: { id, groups: ['north'] },
      cloud: { url: `mqtt://127.0.0.1:${cloud.port}`, username: id, password: secrets[id], backoffBaseMs: 100, backoffMaxMs: 500 },
      store: { path: join(dir, `${id}.db`) },
    };
    writeFileSync(join(dir, `${id}.json`), JSON.stringify(cfg), { mode: 0o600 });
    const a = startAgent(['--config', join(dir, `${id}.json`)]);
    agents.push(a);
    return a;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-e2e23-'));
    cloud = await startBroker(join(dir, 'cloud'), ['--auth.allowAnonymous', 'false']);
    api = `http://127.0.0.1:${cloud.apiPort}`;
    token = readFileSync(join(dir, 'cloud', 'operator-token'), 'utf8').trim();
    for (const id of ['gw-new', 'gw-half']) secrets[id] = (await call('POST', '/v1/devices', { id, groups: ['north'] })).secret;
  });
  after(async () => {
    for (const a of agents) await a.kill('SIGKILL').catch(() => undefined);
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a gateway that never connected runs a unicast and a group command sent before its first connect, each once', async () => {
    const uni = (await call('POST', '/v1/commands', { name: 'report-status', device: 'gw-new', args: {}, ttlSeconds: 300 })).command.id;
    const grp = (await call('POST', '/v1/commands', { name: 'report-status', group: 'north', args: {}, ttlSeconds: 300 })).command.id;
    assert.equal(await state(uni, 'gw-new'), 'SENT');
    const a = gateway('gw-new');
    for (const id of [uni, grp]) await waitFor(`${id} SUCCEEDED on gw-new`, 30_000, async () => ((await state(id, 'gw-new')) === 'SUCCEEDED' ? true : undefined));
    const ran = a.logs.filter((l) => l.msg === 'command finished' && l.name === 'report-status');
    assert.equal(ran.filter((l) => l.commandId === uni).length, 1, 'the unicast command ran once');
    assert.equal(ran.filter((l) => l.commandId === grp).length, 1, 'the group command ran once');
  });

  it('a gateway whose link died between CONNACK and SUBSCRIBE gets what was sent meanwhile', async () => {
    // The cloud sees gw-half online with a persistent session but no subscription, then offline.
    const half = await mqtt.connectAsync(`mqtt://127.0.0.1:${cloud.port}`, { clientId: 'gw-half', username: 'gw-half', password: secrets['gw-half'], clean: false, reconnectPeriod: 0 });
    await waitFor('gw-half online', 10_000, async () => ((await call('GET', '/v1/devices/gw-half')).online ? true : undefined));
    half.stream.destroy();
    await waitFor('gw-half offline', 10_000, async () => ((await call('GET', '/v1/devices/gw-half')).online ? undefined : true));
    const id = (await call('POST', '/v1/commands', { name: 'report-status', device: 'gw-half', args: {}, ttlSeconds: 300 })).command.id;
    gateway('gw-half');
    await waitFor('SUCCEEDED on gw-half', 30_000, async () => ((await state(id, 'gw-half')) === 'SUCCEEDED' ? true : undefined));
    const t = (await call('GET', `/v1/commands/${id}/targets`)).targets[0];
    assert.equal(typeof t.output, 'object', 'the status answer came back');
  });
});
