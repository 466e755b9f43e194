import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, freePort } from '@causeway/shared';
import { startIngest, type Ingest } from '../../src/ingest/start-ingest.js';
import { thermometerValue } from '@causeway/sim/profiles/thermometer.js';
import { RecordingSink } from '../ingest/helpers/recording-sink.js';
import { SimProcess, waitUntil } from '../ingest/helpers/sim-process.js';


describe('edge e2e 17: ingest-mqtt @e2e: MQTT sensors on a local mosquitto → mapping → rules → sink', function () {
  this.timeout(30_000);
  let dir: string;
  let port: number;
  let broker: ChildProcess;
  let ingest: Ingest | undefined;
  let sim: SimProcess | undefined;
  const sink = new RecordingSink();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'causeway-ingest-mqtt-'));
    port = await freePort();
    writeFileSync(join(dir, 'mosquitto.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
    broker = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
    await waitUntil(
      () => spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-t', 'probe', '-m', 'x']).status === 0,
      5000,
      () => 'mosquitto to listen',
    );
  });
  after(async () => {
    await ingest?.stop();
    await sim?.stop();
    broker.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('maps topic levels to devices, reads the JSON path, applies rules, counts bad payloads', async () => {
    ingest = startIngest(
      {
        ports: [],
        rules: [{ stream: 'temp', pipeline: [{ type: 'scale', factor: 10, decimals: 1 }] }],
        tickMs: 100,
        reopen: { initialMs: 50, maxMs: 200 },
        mqtt: {
          url: `mqtt://127.0.0.1:${port}`,
          clientId: '',
          username: '',
          password: '',
          sources: [
            { topic: 'sensors/+/state', device: '{2}', stream: 'temp', path: 'temp', qos: 1, unit: 'dC' },
            { topic: 'plain/+/humidity', device: '{2}', stream: 'hum' },
          ],
        },
      },
      sink,
      silentLogger,
    );
    const c = ingest.counters.sources['mqtt:sensors/+/state']!;
    await waitUntil(() => c.opens === 1, 5000, () => 'subscription');

    const N = 40;
    sim = new SimProcess(['mqtt', '--profile', 'thermometer', '--url', `mqtt://127.0.0.1:${port}`, '--device', 'th-5', '--rate', '100', '--count', String(N), '--seed', '4', '--noise', '1', '--qos', '1']);
    await sim.waitFor('done');
    await waitUntil(() => sink.values('temp').length >= N, 5000, () => `temp readings, have ${sink.values('temp').length}`);
    assert.deepEqual(sink.values('temp', 'th-5'), [...Array(N).keys()].map((k) => Math.round(thermometerValue(k, 4, 1) * 100) / 10));
    assert.ok(sink.readings.every((r) => r.unit === 'dC'));

    const pub = (topic: string, msg: string): void => {
      assert.equal(spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-t', topic, '-m', msg, '-q', '1']).status, 0);
    };
    pub('plain/room-2/humidity', '41.5');
    pub('plain/room-2/humidity', 'wet');
    pub('sensors/th-6/state', '{"hum":3}');
    pub('sensors/th-6/state', '{"temp":[1]}');
    pub('sensors/th-6/state', 'not json');
    await waitUntil(() => ingest!.counters.sources['mqtt:plain/+/humidity']!.frames === 2 && c.frames === N + 3, 5000, () => 'bad payloads handled');
    assert.deepEqual(sink.values('hum', 'room-2'), [41.5]);
    assert.deepEqual(ingest.counters.sources['mqtt:plain/+/humidity']!.drops, { 'non-numeric': 1 });
    assert.deepEqual(c.drops, { malformed: 2, 'non-numeric': 1 });
  });
});
