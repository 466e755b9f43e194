import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { join } from 'node:path';
import { natsForSuite } from '../store/jetstream-server.js';
import { apiCall, type BrokerProcess, removeDir, startBroker, tempDir, waitFor as waitForValue } from './fixtures/broker-process.js';

/**
 * The control plane on a scaled-out cluster (issue 9): two causeway-cloud processes on one JetStream store,
 * a real causeway-edge gateway connected to node B only. Commands and config state live in JetStream KV, so
 * a command created on node A is settled by node B after A is gone, and a restarted A shows what B recorded.
 */
describe('cloud e2e 22: commands and config across two nodes on JetStream @e2e', function () {
  this.timeout(120_000);
  const nats = natsForSuite(1);
  let dir: string;
  let a: BrokerProcess | undefined;
  let b: BrokerProcess;
  let edge: ChildProcess | undefined;
  let secret: string;
  let operatorToken: string;
  const prefix = `e22${randomBytes(3).toString('hex')}`;

  const node = (id: string): Promise<BrokerProcess> =>
    startBroker(join(dir, id), [
      '--auth.allowAnonymous', 'false',
      '--store.backend', 'jetstream',
      '--store.jetstream.servers', nats.urls.join(','),
      '--store.jetstream.prefix', prefix,
      '--node.id', id,
    ]);
  const api = (n: BrokerProcess, method: string, path: string, body?: unknown): Promise<any> => apiCall(`http://127.0.0.1:${n.apiPort}`, operatorToken, method, path, body);
  const waitFor = <T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> => waitForValue(what, ms, probe, { everyMs: 200 });

  const online = (n: BrokerProcess, want: boolean): Promise<true> =>
    waitFor(`gw1 ${want ? 'online' : 'offline'}`, 30_000, async () => ((await api(n, 'GET', '/v1/devices/gw1')).online === want ? true : undefined));
  const startEdge = async (): Promise<void> => {
    edge = spawn(process.execPath, ['--import', 'tsx', 'edge/src/main.ts', '--config', join(dir, 'gw1.json')], { stdio: ['ignore', 'ignore', 'pipe'] });
    edge.stderr!.resume();
    await online(b, true);
  };
  const stopEdge = async (): Promise<void> => {
    const p = edge!;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
    await online(b, false);
  };

  nats.closeFirst(async () => {
    edge?.kill('SIGKILL');
    await a?.stop();
    await b?.stop();
  });
  before(async () => {
    dir = tempDir('e2e22');
    // Both start at once with no operator token or token key configured: the cluster generates ONE of each.
    [a, b] = await Promise.all([node('node-a'), node('node-b')]);
    operatorToken = readFileSync(join(dir, 'node-a', 'operator-token'), 'utf8').trim();
    secret = (await api(a, 'POST', '/v1/devices', { id: 'gw1', groups: ['fleet'] })).secret;
    const cfg = {
      gateway: { id: 'gw1', groups: ['fleet'] },
      cloud: { url: `mqtt://127.0.0.1:${b.port}`, username: 'gw1', password: secret, backoffBaseMs: 100, backoffMaxMs: 1000 },
      store: { path: join(dir, 'gw1', 'outbox.db') },
    };
    mkdirSync(join(dir, 'gw1'), { recursive: true });
    writeFileSync(join(dir, 'gw1.json'), JSON.stringify(cfg));
    // registered through A, authenticated by B: the registry is in KV too
    await startEdge();
  });
  after(async () => {
    if (dir !== undefined) removeDir(dir);
  });

  it('generates one operator token and one device-token key for the whole cluster', async () => {
    assert.equal(readFileSync(join(dir, 'node-b', 'operator-token'), 'utf8').trim(), operatorToken, 'node B writes the same operator token');
    assert.equal(statSync(join(dir, 'node-b', 'operator-token')).mode & 0o777, 0o600);
    // a device token issued by node A lets the device in on node B
    await api(a!, 'POST', '/v1/devices', { id: 'gw-tok' });
    const { token } = await api(a!, 'POST', '/v1/devices/gw-tok/token', { ttlSeconds: 60 });
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.port}`, { clientId: 'gw-tok', username: 'gw-tok', password: token, reconnectPeriod: 0 });
    await client.endAsync();
  });

  it('a device disabled or rotated through node A loses its session on node B at once, not at its next reconnect', async () => {
    for (const action of ['disable', 'rotate'] as const) {
      const id = `kick-${action}`;
      const pw = (await api(a!, 'POST', '/v1/devices', { id, kind: 'app' })).secret as string;
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.port}`, { clientId: id, username: id, password: pw, protocolVersion: 5, keepalive: 600, reconnectPeriod: 0 });
      const gone = new Promise<number | undefined>((resolve) => {
        c.once('disconnect', (p) => resolve(p.reasonCode));
        c.once('close', () => resolve(undefined));
      });
      const t0 = Date.now();
      await api(a!, 'POST', `/v1/devices/${id}/${action}`);
      const reason = await Promise.race([gone, new Promise<string>((r) => setTimeout(() => r('still connected'), 10_000))]);
      assert.notEqual(reason, 'still connected', `${action} on node A left the session on node B open`);
      if (reason !== undefined) assert.equal(reason, 0x87, 'v5: Not authorized');
      assert.ok(Date.now() - t0 < 10_000);
      c.end(true);
    }
  });

  it('a command created on node A is settled by node B after A is killed', async () => {
    // The gateway is offline while A creates the command and dies, so every result reaches the cluster
    // after A is gone.
    await stopEdge();
    const created = await api(a!, 'POST', '/v1/commands', { name: 'ping', device: 'gw1', ttlSeconds: 60 });
    const id = created.command.id as string;
    assert.equal(created.counts.SENT, 1, 'A stored the command and sent it');
    await a!.kill9();
    a = undefined;
    await startEdge(); // its persistent session on B gets the command
    // B never saw the create request: it knows the command from KV, and its control consumer applies the
    // gateway's DELIVERED and SUCCEEDED results to it.
    const done = await waitFor('the command COMPLETED on node B', 30_000, async () => {
      const r = await api(b, 'GET', `/v1/commands/${id}`);
      return r.command.status === 'COMPLETED' ? r : undefined;
    });
    assert.equal(done.counts.SUCCEEDED, 1);
    const [t] = (await api(b, 'GET', `/v1/commands/${id}/targets`)).targets;
    assert.equal(t.state, 'SUCCEEDED');
    assert.equal(typeof t.output.pong, 'number', 'the output the gateway sent');
  });

  it('config set on node B is reported by the gateway and seen in sync from a restarted node A', async () => {
    const set = await api(b, 'PUT', '/v1/config/gateways/gw1', { config: { uplink: { batchMaxReadings: 40 } } });
    a = await node('node-a');
    const row = await waitFor('gw1 reported the config (seen from the restarted node A)', 30_000, async () => {
      const r = (await api(a!, 'GET', '/v1/config/status')).gateways.find((g: { gateway: string }) => g.gateway === 'gw1');
      return r?.reportedVersion === set.version ? r : undefined;
    });
    assert.deepEqual([row.desiredVersion, row.status, row.inSync], [set.version, 'APPLIED', true]);
    // versions come from one cluster-wide counter: a change made on A is newer than B's
    const next = await api(a!, 'PUT', '/v1/config/all', { config: { uplink: { batchMaxReadings: 60 } } });
    assert.ok(next.version > set.version, `${next.version} > ${set.version}`);
    assert.equal((await api(b, 'GET', '/v1/config/gateways/gw1')).config.uplink.batchMaxReadings, 40, 'the gateway scope still wins over all');
    // and the command history is the same from both nodes
    const [fromA, fromB] = await Promise.all([api(a!, 'GET', '/v1/commands'), api(b, 'GET', '/v1/commands')]);
    assert.deepEqual(fromA.commands, fromB.commands);
    assert.equal(fromA.commands[0].status, 'COMPLETED');
  });

  it('a config set through node A reaches, live, a gateway that connected to node B after A started (no session of A holds its topic)', async () => {
    // A restored every persistent session it found when it started; this gateway's session is newer
    const gw2 = (await api(b, 'POST', '/v1/devices', { id: 'gw2' })).secret as string;
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.port}`, { clientId: 'gw2', username: 'gw2', password: gw2, clean: true, reconnectPeriod: 0 });
    try {
      const got: string[] = [];
      c.on('message', (topic) => got.push(topic));
      await c.subscribeAsync('config/gw2', { qos: 1 });
      await api(a!, 'PUT', '/v1/config/gateways/gw2', { config: { uplink: { batchMaxReadings: 50 } } });
      await waitFor('config/gw2 on node B', 15_000, () => (got.length > 0 ? true : undefined));
      assert.deepEqual(got, ['config/gw2']);
    } finally {
      await c.endAsync();
    }
  });
});
