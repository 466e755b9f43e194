import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { freePort, removeDir, sleep, startBroker, tempDir, until, type BrokerProcess } from './fixtures/broker-process.js';

/**
 * A real mosquitto with a bridge to our broker, default bridge settings (try_private → protocol 0x84,
 * cleansession false): uplink topics out, downlink topics in.
 */
describe('e2e 03: mosquitto bridge to the broker @e2e', function () {
  this.timeout(60_000);
  let dir: string;
  let broker: BrokerProcess;
  let mosq: ChildProcess | undefined;
  let edgePort: number;
  const clients: MqttClient[] = [];
  const mosqLog: string[] = [];

  before(async () => {
    dir = tempDir('e2e03');
    broker = await startBroker(join(dir, 'store'));
    edgePort = await freePort();
    const conf = join(dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      [
        `listener ${edgePort} 127.0.0.1`,
        'allow_anonymous true',
        'log_dest stdout',
        'connection causeway',
        `address 127.0.0.1:${broker.port}`,
        'topic telemetry/# out 1',
        'topic cmd/# in 1',
        '',
      ].join('\n'),
    );
    mosq = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    mosq.stdout!.on('data', (c: Buffer) => mosqLog.push(c.toString()));
    mosq.stderr!.on('data', (c: Buffer) => mosqLog.push(c.toString()));
    await until(() => broker.lines.some((l) => l.includes('"bridge":true')), 15_000, 'the bridge to connect');
  });

  after(async () => {
    for (const c of clients) c.end(true);
    if (mosq !== undefined && mosq.exitCode === null) {
      const exited = new Promise((r) => mosq!.once('exit', r));
      mosq.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
    }
    await broker?.stop();
    removeDir(dir);
  });

  it('the bridge connects with protocol 0x84 and a persistent session', () => {
    const line = broker.lines.find((l) => l.includes('"bridge":true'))!;
    const rec = JSON.parse(line) as { version: number; persistent: boolean };
    assert.equal(rec.version, 4);
    assert.equal(rec.persistent, true);
  });

  it('uplink: a message published at the edge mosquitto reaches a cloud subscriber', async () => {
    const cloud = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { protocolVersion: 5, clientId: 'backend', reconnectPeriod: 0 });
    clients.push(cloud);
    const got: string[] = [];
    cloud.on('message', (t, p) => got.push(`${t}=${p}`));
    await cloud.subscribeAsync('telemetry/#', { qos: 1 });
    const edge = await mqtt.connectAsync(`mqtt://127.0.0.1:${edgePort}`, { clientId: 'sensor', reconnectPeriod: 0 });
    clients.push(edge);
    for (let i = 0; i < 5; i++) await edge.publishAsync('telemetry/gw1/d1/temp', `t${i}`, { qos: 1 });
    await until(() => got.length === 5, 10_000, 'bridged uplink');
    assert.deepEqual(got, [0, 1, 2, 3, 4].map((i) => `telemetry/gw1/d1/temp=t${i}`));
  });

  it('downlink: a command published in the cloud reaches a subscriber at the edge', async () => {
    const edge = await mqtt.connectAsync(`mqtt://127.0.0.1:${edgePort}`, { clientId: 'actuator', reconnectPeriod: 0 });
    clients.push(edge);
    const got: string[] = [];
    edge.on('message', (t, p) => got.push(`${t}=${p}`));
    await edge.subscribeAsync('cmd/#', { qos: 1 });
    const cloud = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'operator', reconnectPeriod: 0 });
    clients.push(cloud);
    await cloud.publishAsync('cmd/gw1/d1/c-1', 'open', { qos: 1 });
    await until(() => got.length === 1, 10_000, `bridged downlink (mosquitto: ${mosqLog.join('').slice(-500)})`);
    assert.deepEqual(got, ['cmd/gw1/d1/c-1=open']);
  });
});
