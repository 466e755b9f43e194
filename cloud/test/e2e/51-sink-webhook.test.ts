import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { encodeEnvelope, type EventEnvelope } from '@causeway/shared';
import { apiCall, freePort, removeDir, startBroker, tempDir, waitFor, type BrokerProcess } from './fixtures/broker-process.js';
import { verifyWebhookSignature } from '../../src/sinks/targets/webhook-signature.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

type Answer = 'hang' | number;

interface Received {
  event: string;
  status: Answer;
  body: any;
}

/**
 * Issue 21: a webhook sink against a real HTTP receiver that is down, times out, answers 500 then 200,
 * and answers 400. Each request is signed; a temporary failure is retried with backoff until it is
 * delivered (once with a 2xx); a 400 goes to the dead-letter queue with the response, once, and the sink
 * moves on.
 */
describe('e2e 51: webhook sink — down, timeout, 500 then 200, 400 to the dead-letter queue @e2e', function () {
  this.timeout(120_000);
  let dir: string;
  let cloud: BrokerProcess | undefined;
  let receiver: Server | undefined;
  let gw: MqttClient | undefined;
  const key = Buffer.from('a-webhook-signing-key-of-32-bytes!');
  const received: Received[] = [];
  /** what the receiver answers next, per event name; the last entry repeats */
  const script = new Map<string, Answer[]>();

  before(() => {
    dir = tempDir('e2e51');
  });
  after(async () => {
    gw?.end(true);
    await cloud?.stop();
    receiver?.closeAllConnections();
    receiver?.close();
    removeDir(dir);
  });

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      assert.equal(verifyWebhookSignature(key, Number(req.headers['x-causeway-timestamp']), text, String(req.headers['x-causeway-signature'])), true, 'signed');
      const body = JSON.parse(text);
      const event = body.rows[0].fields.event as string;
      const answers = script.get(event) ?? [200];
      const status = answers.length > 1 ? answers.shift()! : answers[0]!;
      received.push({ event, status, body });
      if (status === 'hang') return; // never answers: the sink's timeout fires
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 400 ? 'field "temp" missing' : 'ok');
    });
  }

  it('delivers through every failure mode, nothing lost, 4xx dead-lettered once', async () => {
    const hookPort = await freePort();
    writeFileSync(join(dir, 'hook.key'), key, { mode: 0o600 });
    const config = join(dir, 'cloud.json');
    const target = { type: 'webhook', url: `http://127.0.0.1:${hookPort}/ingest`, secretFile: join(dir, 'hook.key'), timeoutMs: 3000 } // a loaded CI machine answers a local POST in well under 3 s; 'hang' still times out;
    writeFileSync(config, JSON.stringify({ sinks: [{ name: 'alarms', queue: 'events', transform: { type: 'fields', fields: { event: 'event', severity: 'severity', temp: 'data.temp' } }, target }] }));
    const store = join(dir, 'store');
    cloud = await startBroker(store, ['--config', config]);
    const token = readFileSync(join(store, 'operator-token'), 'utf8').trim();
    const api = (method: string, path: string, body?: unknown): Promise<any> => apiCall(`http://127.0.0.1:${cloud!.apiPort}`, token, method, path, body);
    const status = (): Promise<any> => api('GET', '/v1/sinks/alarms');
    gw = await mqtt.connectAsync(`mqtt://127.0.0.1:${cloud.port}`, { clientId: 'gw1', reconnectPeriod: 0 });
    const publish = async (event: string): Promise<void> => {
      const env: EventEnvelope = { v: 1, type: 'event', id: `ev-${event}`, gateway: 'gw1', device: 'th-1', event, severity: 'alarm', ts: Date.now(), data: { temp: 90 } };
      await gw!.publishAsync(`events/gw1/th-1/${event}`, encodeEnvelope(env, { codec: 'cbor', deflate: true }), { qos: 1 });
    };
    const delivered = (event: string): Received[] => received.filter((r) => r.event === event && r.status === 200);

    // 1. the receiver is down: the sink backs off and says why, the queue lags
    await publish('down');
    const down = await waitFor('backing off', 30_000, async () => {
      const s = await status();
      return s.state === 'backing off' && /ECONNREFUSED/.test(s.lastError?.message ?? '') ? s : undefined;
    });
    assert.equal(down.lag, 1);
    receiver = createServer(onRequest);
    await new Promise<void>((r) => receiver!.listen(hookPort, '127.0.0.1', r));
    await waitFor('the first event delivered', 60_000, () => (delivered('down').length === 1 ? true : undefined));

    // 2. a request that gets no answer within timeoutMs is retried
    script.set('slow', ['hang', 200]);
    await publish('slow');
    await waitFor('the slow event delivered', 60_000, () => (delivered('slow').length === 1 ? true : undefined));
    assert.deepEqual(received.filter((r) => r.event === 'slow').map((r) => r.status), ['hang', 200]);
    assert.match((await status()).lastError.message, /no answer within 3000 ms/);

    // 3. 500 then 200: retried once, delivered once
    script.set('flaky', [500, 200]);
    await publish('flaky');
    await waitFor('the flaky event delivered', 60_000, () => (delivered('flaky').length === 1 ? true : undefined));
    assert.deepEqual(received.filter((r) => r.event === 'flaky').map((r) => r.status), [500, 200]);

    // 4. 400: dead-lettered with the response, never retried, and the sink goes on with the next batch
    script.set('refused', [400]);
    await publish('refused');
    await publish('after');
    await waitFor('the event after the refused one delivered', 60_000, () => (delivered('after').length === 1 ? true : undefined));
    assert.equal(received.filter((r) => r.event === 'refused').length, 1, 'a 400 is not retried');
    const s = await status();
    assert.equal(s.counters.deadLettered, 1);
    assert.equal(s.lag, 0);
    assert.equal(s.state, 'running');
    const dl = await api('POST', '/v1/queues/dead-letter/groups/ops/pull', { max: 10 });
    assert.equal(dl.messages.length, 1);
    assert.equal(dl.messages[0].topic, 'dead-letter/alarms');
    const record = JSON.parse(Buffer.from(dl.messages[0].payloadBase64, 'base64').toString('utf8'));
    assert.equal(record.status, 400);
    assert.equal(record.response, 'field "temp" missing');
    assert.equal(record.rows[0].fields.event, 'refused');

    // nothing lost: every event reached the receiver with a 2xx or the dead-letter queue; each 2xx once
    for (const e of ['down', 'slow', 'flaky', 'after']) assert.equal(delivered(e).length, 1, e);
    const row = delivered('flaky')[0]!.body.rows[0];
    assert.deepEqual(row, { gateway: 'gw1', batchId: 'ev-flaky', seq: 0, fields: { event: 'flaky', severity: 'alarm', temp: 90 } });

    // 5. paused from the CLI: an event waits in the queue (lag) until the sink is resumed
    const cli = (...args: string[]): string =>
      execFileSync(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', '--url', `http://127.0.0.1:${cloud!.apiPort}`, '--token', token, 'sinks', ...args], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(cli('pause', 'alarms'), 'alarms: paused\n');
    await publish('held');
    await waitFor('lag while paused', 30_000, async () => ((await status()).lag === 1 ? true : undefined));
    assert.equal(received.filter((r) => r.event === 'held').length, 0, 'nothing sent while paused');
    assert.match(cli('resume', 'alarms'), /^alarms: (running|paused)\n$/);
    await waitFor('the held event delivered after resume', 60_000, () => (delivered('held').length === 1 ? true : undefined));
  });
});
