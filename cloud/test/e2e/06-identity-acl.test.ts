import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import { encodeEnvelope } from '@causeway/shared';
import { apiCall, startBroker, until, type BrokerProcess } from './fixtures/broker-process.js';

/**
 * Identity and access end to end: the real broker process with authentication on (the default), devices
 * created through the HTTP API, MQTT.js clients as gateways and as a backend app.
 */
describe('06 identity, ACL and server-side queues @e2e', function () {
  this.timeout(60_000);
  let dir: string;
  let broker: BrokerProcess;
  let api: string;
  let token: string;
  const clients: MqttClient[] = [];
  const secrets: Record<string, string> = {};

  const call = (method: string, path: string, body?: unknown): Promise<any> => apiCall(api, token, method, path, body);

  const connect = (opts: IClientOptions): Promise<{ client?: MqttClient; error?: Error & { code?: number } }> =>
    new Promise((resolve) => {
      const client = mqtt.connect(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 5, ...opts });
      clients.push(client);
      client.once('connect', () => resolve({ client }));
      client.once('error', (error) => {
        client.end(true);
        resolve({ error });
      });
    });

  const gateway = async (id: string, extra: IClientOptions = {}): Promise<MqttClient> => {
    const r = await connect({ clientId: id, username: id, password: secrets[id]!, clean: false, properties: { sessionExpiryInterval: 3600 }, ...extra });
    assert.ok(r.client, `gateway ${id} should connect: ${r.error?.message}`);
    return r.client;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-e2e-acl-'));
    broker = await startBroker(dir, ['--auth.allowAnonymous', 'false', '--auth.failures.burst', '3', '--auth.failures.refillPerSecond', '0.01']);
    api = `http://127.0.0.1:${broker.apiPort}`;
    token = readFileSync(join(dir, 'operator-token'), 'utf8').trim();
    for (const [id, groups] of [['gw1', ['north']], ['gw2', ['south']]] as const) {
      secrets[id] = (await call('POST', '/v1/devices', { id, groups })).secret;
    }
    secrets.analytics = (await call('POST', '/v1/devices', { id: 'analytics', kind: 'app', queues: ['telemetry', 'cmd-result'], canSend: true })).secret;
  });
  after(async () => {
    for (const c of clients) c.end(true);
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses anonymous clients and wrong secrets with the right reason codes, and never logs the secret', async () => {
    const anon = await connect({ clientId: 'nobody' });
    assert.equal(anon.error?.code, 0x87);
    const wrong = await connect({ clientId: 'gw1', username: 'gw1', password: 'not-the-secret' });
    assert.equal(wrong.error?.code, 0x86);
    const v3 = await connect({ clientId: 'gw1', username: 'gw1', password: 'nope', protocolVersion: 4 });
    assert.equal(v3.error?.code, 4);
    assert.ok(!broker.lines.join('\n').includes(secrets.gw1!), 'the secret never reaches the log');
    assert.ok(!broker.lines.join('\n').includes('not-the-secret'));
  });

  it('isolates gateways: no reading or writing as another gateway, no #', async () => {
    const gw1 = await gateway('gw1');
    // MQTT.js rejects a SUBACK with any failure code; the codes are on the error's packet.
    const codes = await gw1.subscribeAsync(['cmd/gw1/+/+', 'cmd/gw2/+/+', '#', 'cmd-group/north/+', 'cmd-group/south/+']).then(
      (g) => g.map((x) => x.qos as number),
      (err: { packet?: { granted?: number[] } }) => err.packet?.granted ?? [],
    );
    assert.deepEqual(codes, [0, 0x87, 0x87, 0, 0x87]);
    const asOther = await gw1.publishAsync('telemetry/gw2/d/t', 'spoof', { qos: 1 }).then(
      () => 0,
      (err: { code?: number }) => err.code,
    );
    assert.equal(asOther, 0x87);
    const own = await gw1.publishAsync('telemetry/gw1/d/t', 'ok', { qos: 1 });
    assert.ok(((own as { reasonCode?: number } | undefined)?.reasonCode ?? 0) < 0x80);
    // gw1's credentials cannot take over gw2's session
    const takeover = await connect({ clientId: 'gw2', username: 'gw1', password: secrets.gw1! });
    assert.equal(takeover.error?.code, 0x87);
  });

  it('a backend app reads a queue with a shared subscription and over HTTP, with the property mapping', async () => {
    const app = (await connect({ clientId: 'analytics.w1', username: 'analytics', password: secrets.analytics! })).client!;
    await app.subscribeAsync('$share/analytics/telemetry/#', { qos: 1 });
    const got = new Promise<{ topic: string; props: Record<string, unknown> }>((resolve) => app.once('message', (topic, _p, packet) => resolve({ topic, props: packet.properties?.userProperties ?? {} })));
    const gw2 = await gateway('gw2');
    const batch = encodeEnvelope({ v: 1, type: 'batch', id: 'b-1', gateway: 'gw2', device: 'therm', stream: 'temp', readings: [{ seq: 1, ts: Date.now(), value: 21.5 }] }, { codec: 'cbor', deflate: true });
    await gw2.publishAsync('telemetry/gw2/therm/temp', batch, { qos: 1 });
    await gw2.publishAsync('telemetry/gw2/therm/temp', batch, { qos: 1 }); // a re-send after a crash: stored once
    const m = await got;
    assert.equal(m.topic, 'telemetry/gw2/therm/temp');
    const pulled = await call('POST', '/v1/queues/telemetry/groups/ops/pull', { member: 'm1', max: 10 });
    const mine = pulled.messages.filter((x: { topic: string }) => x.topic === 'telemetry/gw2/therm/temp');
    assert.equal(mine.length, 1, 'the duplicate batch is dropped before the queue');
    assert.deepEqual(mine[0].properties, { qoslevel: 1, cleansessionflag: false, mqttRealTopic: 'telemetry/gw2/therm/temp', mqttSecondTopic: '/gw2/therm/temp', clientId: 'gw2' });
    assert.equal(mine[0].envelope.readings[0].value, 21.5);
  });

  it('the raw publish API cannot reach a device on cmd/…: commands go through /v1/commands (issue 23 item 10)', async () => {
    const gw1 = await gateway('gw1', { clientId: 'gw1' });
    await gw1.subscribeAsync('cmd/gw1/+/+', { qos: 1 });
    let got = 0;
    gw1.on('message', () => got++);
    const res = await fetch(`${api}/v1/queues/cmd/messages`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ mqttSecondTopic: '/gw1/relay/c-77', payload: '{"hello":1}' }) });
    assert.equal(res.status, 403);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(got, 0);
  });

  it('issues tokens: a valid one connects, an expired or forged one does not', async () => {
    const t = await call('POST', '/v1/devices/gw2/token', { ttlSeconds: 60 });
    const ok = await connect({ clientId: 'gw2', username: 'gw2', password: t.token });
    assert.ok(ok.client);
    ok.client!.end(true);
    const parts = t.token.split('.');
    const forged = [parts[0], parts[1], parts[2], String(Number(parts[3]) + 3600), parts[4]].join('.');
    const bad = await connect({ clientId: 'gw2', username: 'gw2', password: forged });
    assert.equal(bad.error?.code, 0x86);
  });

  // Issue 23 item 6. Own principals, so their refusals count toward nobody else's failure ban.
  it('revokes the tokens issued before a secret rotation', async () => {
    await call('POST', '/v1/devices', { id: 'gw-rot' });
    const before = (await call('POST', '/v1/devices/gw-rot/token', { ttlSeconds: 30 * 24 * 3600 })).token;
    const ok = await connect({ clientId: 'gw-rot', username: 'gw-rot', password: before });
    assert.ok(ok.client, `the fresh token connects: ${ok.error?.message}`);
    await call('POST', '/v1/devices/gw-rot/rotate');
    const refused = await connect({ clientId: 'gw-rot', username: 'gw-rot', password: before });
    assert.equal(refused.error?.code, 0x86);
    await until(() => broker.lines.some((l) => l.includes('REVOKED')), 5000, 'a log line saying the token was revoked');
    const after = (await call('POST', '/v1/devices/gw-rot/token', { ttlSeconds: 60 })).token;
    const again = await connect({ clientId: 'gw-rot', username: 'gw-rot', password: after });
    assert.ok(again.client, `a token issued after the rotation connects: ${again.error?.message}`);
  });

  it('revokes the tokens issued before a disable, also after the device is enabled again', async () => {
    await call('POST', '/v1/devices', { id: 'gw-dis' });
    const before = (await call('POST', '/v1/devices/gw-dis/token', { ttlSeconds: 3600 })).token;
    await call('POST', '/v1/devices/gw-dis/disable');
    await call('POST', '/v1/devices/gw-dis/enable');
    const refused = await connect({ clientId: 'gw-dis', username: 'gw-dis', password: before });
    assert.equal(refused.error?.code, 0x86);
  });

  it('disconnects a device that is disabled, and refuses it afterwards', async () => {
    const gw2 = await gateway('gw2');
    const closed = new Promise<void>((resolve) => gw2.once('close', () => resolve()));
    await call('POST', '/v1/devices/gw2/disable');
    await closed;
    const again = await connect({ clientId: 'gw2', username: 'gw2', password: secrets.gw2! });
    assert.equal(again.error?.code, 0x87);
    const list = await call('GET', '/v1/devices?kind=gateway');
    assert.equal(list.devices.find((d: { id: string }) => d.id === 'gw1').lastSeenAt > 0, true);
  });

  it('bans a (source, principal) pair after repeated failures, and only that pair', async () => {
    // the first test already spent two failures for gw1 from 127.0.0.1; burst is 3
    for (let i = 0; i < 3; i++) await connect({ clientId: 'gw1', username: 'gw1', password: 'guess' + i });
    const banned = await connect({ clientId: 'gw1', username: 'gw1', password: secrets.gw1! });
    assert.equal(banned.error?.code, 0x8a);
    await until(() => broker.lines.some((l) => l.includes('too many failed attempts')), 2000, 'a log line naming the ban');
    // Issue 23 item 9: another principal behind the same address (a carrier NAT) is not locked out …
    const other = await connect({ clientId: 'analytics.w2', username: 'analytics', password: secrets.analytics! });
    assert.ok(other.client, `a principal with the right secret from the same address connects: ${other.error?.message}`);
    // … and the banned pair stays banned
    const still = await connect({ clientId: 'gw1', username: 'gw1', password: secrets.gw1! });
    assert.equal(still.error?.code, 0x8a);
  });
});
