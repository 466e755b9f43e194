import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, sleep, startBroker, tempDir, type BrokerProcess } from './fixtures/broker-process.js';
import { rawRequest, statusOf } from '../api/fixtures/raw-http.js';
import { mqttRoundTrip } from './fixtures/mqtt-probe.js';

/**
 * Issue 23 items 1 and 16 against the real process: one malformed request used to exit the whole cloud
 * (MQTT included); slow headers were held for 88 s; event streams were unbounded.
 */
describe('e2e 08: the HTTP API survives bad requests @e2e', function () {
  this.timeout(60_000);
  let dir: string;
  let broker: BrokerProcess;
  let token: string;

  before(async () => {
    dir = tempDir('e2e08');
    broker = await startBroker(dir, ['--api.headersTimeoutMs', '500', '--api.requestTimeoutMs', '2000', '--api.maxStreams', '1']);
    token = readFileSync(join(dir, 'operator-token'), 'utf8').trim();
  });
  after(async () => {
    await broker?.stop();
    removeDir(dir);
  });

  it('answers "GET //[" with 400, and the process and its MQTT broker keep running', async () => {
    for (const auth of ['', `Authorization: Bearer ${token}\r\n`]) {
      const { response } = await rawRequest(broker.apiPort!, `GET //[ HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`);
      assert.equal(statusOf(response), 400, response);
      assert.match(response, /"code":"API_BAD_REQUEST"/);
    }
    await sleep(200);
    assert.equal(broker.proc.exitCode, null, `the process exited:\n${broker.lines.join('\n')}`);
    await mqttRoundTrip(broker.port);
    assert.equal((await fetch(`http://127.0.0.1:${broker.apiPort}/v1/health`)).status, 200);
    const stats = (await (await fetch(`http://127.0.0.1:${broker.apiPort}/v1/stats`, { headers: { authorization: `Bearer ${token}` } })).json()) as { api: { badRequests: number } };
    assert.ok(stats.api.badRequests >= 2, JSON.stringify(stats.api));
  });

  it('closes a connection whose headers trickle in longer than api.headersTimeoutMs, with a 408', async () => {
    const socket = net.connect(broker.apiPort!, '127.0.0.1');
    let got = '';
    socket.on('data', (c) => (got += c.toString()));
    socket.on('error', () => undefined); // surfaces as 'close'
    const closed = new Promise<boolean>((r) => socket.once('close', () => r(true)));
    socket.write('GET /v1/health HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => socket.writable && socket.write('X'), 100);
    const ok = await Promise.race([closed, sleep(8000).then(() => false)]);
    clearInterval(drip);
    socket.destroy();
    assert.ok(ok, 'the server still held the connection after 8 s');
    assert.equal(statusOf(got), 408, got);
  });

  it('refuses a second event stream over api.maxStreams=1 with a 503', async () => {
    const ac = new AbortController();
    const headers = { authorization: `Bearer ${token}` };
    const first = await fetch(`http://127.0.0.1:${broker.apiPort}/v1/queues/events/groups/a/stream`, { headers, signal: ac.signal });
    assert.equal(first.status, 200);
    const second = await fetch(`http://127.0.0.1:${broker.apiPort}/v1/queues/events/groups/b/stream`, { headers });
    assert.equal(second.status, 503);
    assert.equal(((await second.json()) as { error: { code: string } }).error.code, 'API_BUSY');
    ac.abort();
  });
});
