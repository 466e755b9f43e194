import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { removeDir, startBroker, tempDir, type BrokerProcess } from './fixtures/broker-process.js';

const run = promisify(execFile);

/** mosquitto_sub collecting `count` messages, bounded by -W seconds. */
function sub(port: number, args: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const p = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-W', '10', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.once('exit', (code) => (code === 0 ? resolve(out.trim().split('\n').filter((l) => l !== '')) : reject(new Error(`mosquitto_sub exited ${code}: ${err}${out}`))));
  });
}

const pub = (port: number, args: string[]): Promise<unknown> => run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 });

describe('e2e 02: mosquitto_pub / mosquitto_sub against the broker process @e2e', function () {
  this.timeout(60_000);
  let dir: string;
  let broker: BrokerProcess;

  before(async () => {
    dir = tempDir('e2e02');
    broker = await startBroker(dir);
  });
  after(async () => {
    await broker?.stop();
    removeDir(dir);
  });

  for (const version of ['mqttv311', 'mqttv5'] as const) {
    it(`${version}: QoS 1 messages from mosquitto_pub reach mosquitto_sub on a wildcard`, async () => {
      const got = sub(broker.port, ['-V', version, '-q', '1', '-t', `e2/${version}/+`, '-C', '3', '-v', '-i', `s-${version}`]);
      await new Promise((r) => setTimeout(r, 500)); // let the subscription land before publishing
      for (let i = 0; i < 3; i++) await pub(broker.port, ['-V', version, '-q', '1', '-t', `e2/${version}/t${i}`, '-m', `hello ${i}`]);
      assert.deepEqual(await got, [`e2/${version}/t0 hello 0`, `e2/${version}/t1 hello 1`, `e2/${version}/t2 hello 2`]);
    });
  }

  it('retained message from mosquitto_pub -r is delivered to a later mosquitto_sub; -n clears it', async () => {
    await pub(broker.port, ['-q', '1', '-r', '-t', 'e2/ret', '-m', 'kept']);
    assert.deepEqual(await sub(broker.port, ['-t', 'e2/ret', '-C', '1', '--retained-only']), ['kept']);
    await pub(broker.port, ['-q', '1', '-r', '-t', 'e2/ret', '-n']);
    // with nothing retained, -W ends the wait with exit 27 (timeout); -E ends right after SUBACK with 0
    const after = await sub(broker.port, ['-t', 'e2/ret', '-E', '--retained-only']);
    assert.deepEqual(after, []);
  });

  it('a QoS 2 stream of 50 messages from a file arrives complete and in order', async () => {
    const file = join(dir, 'lines.txt');
    writeFileSync(file, Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n') + '\n');
    const got = sub(broker.port, ['-q', '2', '-t', 'e2/lines', '-C', '50', '-i', 's-lines']);
    await new Promise((r) => setTimeout(r, 500));
    await run('sh', ['-c', `mosquitto_pub -h 127.0.0.1 -p ${broker.port} -q 2 -t e2/lines -l -i p-lines2 < ${file}`], { timeout: 10_000 });
    assert.deepEqual(await got, Array.from({ length: 50 }, (_, i) => `line ${i}`));
  });
});
