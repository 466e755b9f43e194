import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { apiCall, removeDir, startBroker, tempDir, until, type BrokerProcess } from './fixtures/broker-process.js';

const run = promisify(execFile);

/**
 * Issue 15: topics whose first level is empty ("/sensors/x", "/TopicA") work end to end on the real
 * causeway-cloud — mosquitto_pub and MQTT.js publish, subscribers and persistent sessions get them, retained
 * and wills too — and feed the server-side queue `_root`, which the API and `causeway queues` show.
 */
describe('e2e 13: topics with an empty first level and the _root queue @e2e', function () {
  this.timeout(60_000);
  let dir: string;
  let broker: BrokerProcess | undefined;
  let api: string;
  let token: string;
  const clients: MqttClient[] = [];
  const url = (): string => `mqtt://127.0.0.1:${broker!.port}`;
  const connect = async (opts: mqtt.IClientOptions): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(url(), { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    clients.push(c);
    return c;
  };

  before(async () => {
    dir = tempDir('e2e13');
    broker = await startBroker(join(dir, 'store'));
    api = `http://127.0.0.1:${broker.apiPort}`;
    token = readFileSync(join(dir, 'store', 'operator-token'), 'utf8').trim();
  });
  after(async () => {
    for (const c of clients) c.end(true);
    await broker?.stop();
    removeDir(dir);
  });

  it('mosquitto_pub on "/sensors/x" (3.1.1 and 5) reaches an MQTT.js subscriber on "/sensors/+", and the _root queue', async () => {
    const sub = await connect({ protocolVersion: 5, clientId: 'e13-sub' });
    const got: string[] = [];
    sub.on('message', (t, p) => got.push(`${t}=${p}`));
    await sub.subscribeAsync('/sensors/+', { qos: 1 });
    for (const v of ['mqttv311', 'mqttv5']) await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(broker!.port), '-V', v, '-q', '1', '-t', '/sensors/x', '-m', v], { timeout: 10_000 });
    await until(() => got.length === 2, 5000, 'two messages');
    assert.deepEqual(got, ['/sensors/x=mqttv311', '/sensors/x=mqttv5']);
    const pulled = await apiCall(api, token, 'POST', '/v1/queues/_root/groups/e13/pull', { member: 'm', max: 10 });
    assert.deepEqual(pulled.messages.map((m: { topic: string; properties: Record<string, unknown> }) => [m.topic, m.properties.mqttSecondTopic, m.properties.mqttRealTopic]), [
      ['/sensors/x', '/sensors/x', '/sensors/x'],
      ['/sensors/x', '/sensors/x', '/sensors/x'],
    ]);
  });

  it('`causeway queues` lists _root with its messages; `causeway consume _root` reads them', async () => {
    const env = { ...process.env, CAUSEWAY_TOKEN: token };
    const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', '--url', api, ...args], { env, timeout: 20_000 });
    const list = await cli(['queues']);
    assert.match(list.stdout, /^_root\s+2\s*$/m);
    const consumed = await cli(['consume', '_root', '--group', 'e13-cli', '--from', 'earliest', '--count', '2']);
    assert.equal(consumed.stdout.trim().split('\n').filter((l) => l.includes('\t/sensors/x\t')).length, 2);
  });

  it('a retained message and a will on empty-first-level topics, and a persistent session across a restart', async () => {
    const pub = await connect({ protocolVersion: 4, clientId: 'e13-pub' });
    await pub.publishAsync('/TopicA', 'kept', { qos: 1, retain: true });
    const keeper = { protocolVersion: 5 as const, clientId: 'e13-keeper', clean: false, properties: { sessionExpiryInterval: 600 } };
    const s1 = await connect(keeper);
    await s1.subscribeAsync('/status/#', { qos: 1 });
    await s1.endAsync();
    // a client that drops without DISCONNECT: its will on "/status/dev-9" goes to the offline session
    const watcher = await connect({ protocolVersion: 4, clientId: 'e13-watch' });
    const seen: string[] = [];
    watcher.on('message', (t) => seen.push(t));
    await watcher.subscribeAsync('/status/#', { qos: 1 });
    const dying = await connect({ protocolVersion: 4, clientId: 'dev-9', will: { topic: '/status/dev-9', payload: Buffer.from('offline'), qos: 1, retain: false } });
    (dying as unknown as { stream: { destroy(): void } }).stream.destroy();
    await until(() => seen.length === 1, 5000, 'the will published');
    assert.equal(await broker!.stop(), 0);
    broker = await startBroker(join(dir, 'store'));
    const got: string[] = [];
    const s2 = mqtt.connect(url(), { ...keeper, reconnectPeriod: 0 });
    clients.push(s2);
    s2.on('message', (t, p) => got.push(`${t}=${p}`));
    await until(() => got.length === 1, 10_000, 'the will, after the restart');
    assert.deepEqual(got, ['/status/dev-9=offline']);
    const late = await connect({ protocolVersion: 5, clientId: 'e13-late' });
    const retained: string[] = [];
    late.on('message', (t, p, packet) => retained.push(`${t}=${p}:${packet.retain}`));
    await late.subscribeAsync('/+', { qos: 1 });
    await until(() => retained.length === 1, 5000, 'the retained message');
    assert.deepEqual(retained, ['/TopicA=kept:true']);
  });
});
