import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCall, startBroker, type BrokerProcess } from '../../../cloud/test/e2e/fixtures/broker-process.js';
import { startAgent, type Agent } from '../helpers/agent.js';
import { waitUntil } from '../ingest/helpers/sim-process.js';

/** A recorded truck: EEC1 at 1200 then 1300 rpm, a fuel level (DD), a BAM-carried EEC1 at 1000 rpm, and three lines that are not frames. */
const LOG = [
  '(1700000000.000000) can0 0CF00400#FFFFFF8025FFFFFF',
  '(1700000000.010000) can0 18FEFC17#FF96FFFFFFFFFFFF',
  '(1700000000.020000) can0 123##1DEADBEEF',
  '(1700000000.030000) can0 0CF00400#FFFFFFA028FFFFFF',
  'garbage',
  '(1700000000.040000) can0 1CECFF00#200900' + '02FF04F000',
  '(1700000000.041000) can0 1CEBFF00#01FFFFFF401FFFFF',
  '(1700000000.042000) can0 1CEBFF00#02FFFFFFFFFFFFFF',
  '(1700000000.050000) can0 18FEFC17#FF9',
].join('\n');

/**
 * Issue 19: a candump log replayed by a real agent (as a reproduction would be): its J1939 frames, one
 * reassembled from BAM transport, reach the cloud's queue in order with values and units; a CAN FD line, a
 * line that is no frame and a truncated one are counted malformed; a SocketCAN source (no binding in this
 * build) is reported unsupported and the agent keeps running. A DBC file that cannot be read exits 78
 * naming the key.
 */
describe('edge e2e 73: candump replay, SocketCAN unsupported, a bad DBC exits 78 @e2e', function () {
  this.timeout(60_000);
  let dir: string;
  let cloud: BrokerProcess;
  let agent: Agent | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edge-e2e73-'));
    cloud = await startBroker(join(dir, 'cloud'));
  });
  after(async () => {
    await agent?.kill('SIGKILL');
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const config = (can: unknown[]): string => {
    const path = join(dir, `edge-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, JSON.stringify({ gateway: { id: 'gw-e2e73' }, cloud: { url: `mqtt://127.0.0.1:${cloud.port}` }, store: { path: join(dir, 'outbox.db') }, health: { port: 0 }, ingest: { can } }));
    return path;
  };

  it('replays a candump log into readings; bad lines counted; SocketCAN reported unsupported', async () => {
    const log = join(dir, 'truck.log');
    writeFileSync(log, LOG + '\n');
    agent = startAgent(['--config', config([{ name: 'truck', device: 'truck-7', candump: { path: log, speed: 0 }, j1939: true }, { device: 'car', socketcan: { interface: 'can0' }, j1939: true }])]);
    await waitUntil(() => agent!.logs.some((l) => l.msg === 'agent started'), 20_000, () => `agent started; stderr ${agent!.stderr.slice(-800)}`);
    const health = `http://127.0.0.1:${agent.logs.find((l) => l.msg === 'agent started')!.healthPort as number}`;
    assert.ok(agent.logs.some((l) => l.level === 'warn' && String(l.msg).includes('SocketCAN is not supported')), 'SocketCAN reported unsupported in the log');

    const api = `http://127.0.0.1:${cloud.apiPort}`;
    const token = readFileSync(join(dir, 'cloud', 'operator-token'), 'utf8').trim();
    const got: Array<[string, unknown, string | undefined]> = [];
    const deadline = Date.now() + 30_000;
    while (got.length < 4 && Date.now() < deadline) {
      const r = await apiCall(api, token, 'POST', '/v1/queues/telemetry/groups/e2e73/pull', { member: 'm', max: 100, waitMs: 500 });
      for (const m of r.messages) for (const x of m.envelope.readings) got.push([`${m.envelope.device}/${m.envelope.stream}`, x.value, x.unit ?? m.envelope.unit]);
      if (r.messages.length > 0) await apiCall(api, token, 'POST', '/v1/queues/telemetry/groups/e2e73/ack', { member: 'm', offsets: r.messages.map((m: { offset: number }) => m.offset) });
    }
    const rpm = got.filter(([k]) => k === 'truck-7/engine_speed').map(([, v, u]) => `${String(v)} ${u}`);
    assert.deepEqual(rpm, ['1200 rpm', '1300 rpm', '1000 rpm'], JSON.stringify(got));
    assert.deepEqual(got.filter(([k]) => k === 'truck-7/fuel_level').map(([, v, u]) => [v, u]), [[60, '%']]);

    const metrics = await (await fetch(`${health}/metrics`)).text();
    const metric = (name: string, labels: string): number => Number(metrics.split('\n').find((l) => l.startsWith(`${name}{${labels}}`))?.split(' ').pop() ?? NaN);
    assert.equal(metric('causeway_ingest_dropped_frames', 'source="can:truck",reason="malformed"'), 3);
    assert.equal(metric('causeway_ingest_dropped_frames', 'source="can:can0",reason="unsupported"'), 1);
    assert.ok(metric('causeway_ingest_source_events', 'source="can:can0",counter="openFailures"') >= 1, 'retried with backoff, counted');
    const { code } = await agent.kill('SIGTERM');
    assert.equal(code, 0);
    agent = undefined;
  });

  it('exits 78 naming the key when a DBC file does not parse', async () => {
    const dbc = join(dir, 'bad.dbc');
    writeFileSync(dbc, 'BO_ 1024 Battery: 2 BMS\n SG_ PackVoltage : 7|32@0+ (0.1,0) [0|1000] "V" X\n');
    const a = startAgent(['--config', config([{ device: 'bus', candump: { path: join(dir, 'none.log') }, dbc }])]);
    const { code } = await a.exited;
    assert.equal(code, 78, a.stderr.slice(-500));
    assert.match(a.stderr, /ingest\.can\[0\]\.dbc/);
    assert.match(a.stderr, /bad\.dbc line 2: signal PackVoltage runs past/);
  });
});
