import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { encodeEnvelope, type EventEnvelope } from '@causeway/shared';
import { apiCall, freePort, removeDir, startBroker, tempDir, waitFor, type BrokerProcess } from './fixtures/broker-process.js';

/**
 * Issue 21: an operator's pause of a sink outlives a kill -9 of causeway-cloud (control.db), and SIGHUP
 * reloads the sinks config — a sink added, one changed, one removed — without a restart; a file that does
 * not parse, or an entry that is refused, keeps the running sinks, says why in the log and is counted in
 * causeway_sink_reloads_total{result="failed"}.
 */
describe('e2e 54: sink pause kept across kill -9; SIGHUP reloads the sinks @e2e', function () {
  this.timeout(120_000);
  let dir: string;
  let cloud: BrokerProcess | undefined;
  let receiver: Server | undefined;
  let gw: MqttClient | undefined;
  /** [path, event] of every request the receiver answered */
  const received: Array<[string, string]> = [];

  before(() => {
    dir = tempDir('e2e54');
  });
  after(async () => {
    gw?.end(true);
    await cloud?.stop();
    receiver?.closeAllConnections();
    receiver?.close();
    removeDir(dir);
  });

  it('pause kept across kill -9; reload adds, changes and removes sinks; a bad file keeps them', async () => {
    const hookPort = await freePort();
    receiver = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        for (const row of JSON.parse(text).rows) received.push([req.url!, row.fields.event]);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => receiver!.listen(hookPort, '127.0.0.1', r));
    writeFileSync(join(dir, 'hook.key'), 'a-webhook-signing-key', { mode: 0o600 });
    const sink = (name: string, path: string, extra: Record<string, unknown> = {}): unknown => ({
      name,
      queue: 'events',
      transform: { type: 'fields', fields: { event: 'event' } },
      target: { type: 'webhook', url: `http://127.0.0.1:${hookPort}${path}`, secretFile: join(dir, 'hook.key'), timeoutMs: 2000 },
      ...extra,
    });
    const config = join(dir, 'cloud.json');
    const writeConfig = (sinks: unknown[]): void => writeFileSync(config, JSON.stringify({ sinks }));
    writeConfig([sink('alarms', '/alarms')]);
    const store = join(dir, 'store');
    const start = async (): Promise<void> => {
      cloud = await startBroker(store, ['--config', config, '--health.port', '0']);
      gw = await mqtt.connectAsync(`mqtt://127.0.0.1:${cloud.port}`, { clientId: 'gw1', reconnectPeriod: 0 });
    };
    await start();
    const token = readFileSync(join(store, 'operator-token'), 'utf8').trim();
    const api = (method: string, path: string, body?: unknown): Promise<any> => apiCall(`http://127.0.0.1:${cloud!.apiPort}`, token, method, path, body);
    const publish = async (event: string): Promise<void> => {
      const env: EventEnvelope = { v: 1, type: 'event', id: `ev-${event}`, gateway: 'gw1', device: 'th-1', event, severity: 'info', ts: Date.now(), data: {} };
      await gw!.publishAsync(`events/gw1/th-1/${event}`, encodeEnvelope(env, { codec: 'cbor', deflate: true }), { qos: 1 });
    };
    const got = (path: string, event: string): number => received.filter(([p, e]) => p === path && e === event).length;
    const metrics = async (): Promise<string> => {
      const listening = JSON.parse(cloud!.lines.find((l) => l.includes('"msg":"listening"'))!) as { healthPort: number };
      return (await fetch(`http://127.0.0.1:${listening.healthPort}/metrics`)).text();
    };
    const sighup = async (what: string, n: number): Promise<string> => {
      const before = cloud!.lines.length;
      cloud!.proc.kill('SIGHUP');
      return waitFor(what, 30_000, () => {
        const found = cloud!.lines.slice(before).filter((l) => /"msg":"sinks reload/.test(l));
        return found.length >= n ? found.join('\n') : undefined;
      }, { detail: () => cloud!.lines.slice(before).join('\n') });
    };

    // 1. paused by the operator, then kill -9: the restarted cloud keeps it paused and the queue lags
    await publish('first');
    await waitFor('first delivered', 30_000, () => (got('/alarms', 'first') === 1 ? true : undefined));
    assert.equal((await api('POST', '/v1/sinks/alarms/pause')).state, 'paused');
    gw!.end(true);
    await cloud!.kill9();
    await start();
    await publish('held');
    await waitFor('lag 1 while paused after the restart', 30_000, async () => {
      const s = await api('GET', '/v1/sinks/alarms');
      return s.state === 'paused' && s.lag === 1 ? true : undefined;
    });
    assert.equal(got('/alarms', 'held'), 0, 'nothing sent while paused');
    await api('POST', '/v1/sinks/alarms/resume');
    await waitFor('held delivered after resume', 30_000, () => (got('/alarms', 'held') === 1 ? true : undefined));

    // 2. SIGHUP: a new sink reads the queue from its start (a new group); the changed one goes on from its offset
    writeConfig([sink('alarms', '/alarms-v2'), sink('audit', '/audit')]);
    assert.match(await sighup('reloaded', 1), /"msg":"sinks reloaded".*"added":\["audit"\].*"changed":\["alarms"\]/);
    assert.deepEqual((await api('GET', '/v1/sinks')).sinks.map((s: { name: string }) => s.name), ['alarms', 'audit']);
    await publish('after-reload');
    await waitFor('after-reload to both sinks', 30_000, () => (got('/alarms-v2', 'after-reload') === 1 && got('/audit', 'after-reload') === 1 ? true : undefined));
    await waitFor('audit caught up with the queue', 30_000, () => (got('/audit', 'first') === 1 && got('/audit', 'held') === 1 ? true : undefined));
    assert.equal(got('/alarms-v2', 'held'), 0, 'the changed sink does not write again what it had acked');

    // 3. a file that does not parse, and an entry that is refused: the running sinks are kept, the log says why
    writeFileSync(config, '{"sinks": [');
    assert.match(await sighup('a failed reload', 1), /"level":"error".*"msg":"sinks reload failed; the running sinks are kept".*cloud\.json/);
    writeConfig([sink('Bad Name', '/x')]);
    assert.match(await sighup('a failed reload', 1), /sinks reload failed.*\[0\]\.name must be lower-case/);
    assert.deepEqual((await api('GET', '/v1/sinks')).sinks.map((s: { name: string; state: string }) => [s.name, s.state]), [['alarms', 'running'], ['audit', 'running']]);
    await publish('still-running');
    await waitFor('still-running delivered by both', 30_000, () => (got('/alarms-v2', 'still-running') === 1 && got('/audit', 'still-running') === 1 ? true : undefined));

    // 4. a sink removed: it stops, the other goes on
    writeConfig([sink('audit', '/audit')]);
    assert.match(await sighup('reloaded', 1), /"removed":\["alarms"\]/);
    assert.deepEqual((await api('GET', '/v1/sinks')).sinks.map((s: { name: string }) => s.name), ['audit']);
    await publish('last');
    await waitFor('last delivered by audit', 30_000, () => (got('/audit', 'last') === 1 ? true : undefined));
    assert.equal(got('/alarms-v2', 'last'), 0);
    const m = await metrics();
    assert.match(m, /causeway_sink_reloads_total\{result="ok"\} 2/);
    assert.match(m, /causeway_sink_reloads_total\{result="failed"\} 2/);
    assert.doesNotMatch(m, /causeway_sink_lag\{sink="alarms"\}/, 'a removed sink leaves /metrics');
    assert.ok(!cloud!.lines.some((l) => l.includes('a-webhook-signing-key')), 'the secret never reaches the log');
  });
});
