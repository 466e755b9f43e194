import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import mqtt from 'mqtt';
import { encodeEnvelope, decodeEnvelope, type CommandEnvelope, type CommandResultEnvelope, CausewayError } from '@causeway/shared';
import { type Fleet, runFleet, startFleet } from '../../src/fleet/run-fleet.js';
import { sourceAddress } from '../../src/fleet/source-address.js';
import { MosquittoProcess, RecordingRelay } from './fleet-fixtures.js';

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('causeway-sim fleet against a real mosquitto @e2e', function () {
  this.timeout(60_000);
  let mosq: MosquittoProcess;
  let relay: RecordingRelay;
  let fleet: Fleet | undefined;
  const clients: mqtt.MqttClient[] = [];

  before(async function () {
    if (!existsSync('/usr/sbin/mosquitto')) {
      console.warn('skipping: /usr/sbin/mosquitto is not installed (apt-get install mosquitto)');
      this.skip();
    }
    mosq = await MosquittoProcess.start();
    relay = await RecordingRelay.start(mosq.port);
  });
  after(async () => {
    await fleet?.stop();
    for (const c of clients) c.end(true);
    await relay?.stop();
    await mosq?.stop();
  });

  it('connects 50 gateways from 50 source addresses, publishes at the rate, answers commands, reconnects with jitter', async () => {
    const N = 50;
    fleet = startFleet({ url: `mqtt://127.0.0.1:${relay.port}`, gateways: N, rateHz: 10, qos: 1, observe: true, reconnectBaseMs: 200, reconnectMaxMs: 2000 });
    await fleet.allConnected(15_000);

    // one connection per gateway, each from its own 127.x.y.z
    const addrs = relay.accepted.map((a) => a.address.replace(/^::ffff:/, ''));
    for (let i = 0; i < N; i++) assert.ok(addrs.includes(sourceAddress(i)), `no connection from ${sourceAddress(i)}`);

    // commands: a good one is answered, a bad one is counted
    const operator = mqtt.connect(`mqtt://127.0.0.1:${mosq.port}`, { clientId: 'operator' });
    clients.push(operator);
    await new Promise((r) => operator.once('connect', r));
    const results: CommandResultEnvelope[] = [];
    operator.on('message', (_t, p) => results.push(decodeEnvelope(p) as CommandResultEnvelope));
    await operator.subscribeAsync('cmd-result/#', { qos: 1 });
    const gw = fleet.ids[7]!;
    const cmd: CommandEnvelope = { v: 1, type: 'command', id: 'c-1', name: 'reboot', args: {}, issuedAt: Date.now() };
    await operator.publishAsync(`cmd/${gw}/dev1/c-1`, encodeEnvelope(cmd), { qos: 1 });
    await operator.publishAsync(`cmd/${fleet.ids[8]!}/dev1/c-2`, Buffer.from('not an envelope'), { qos: 1 });
    await until('the command result', () => results.length >= 1 && fleet!.stats.badCommands >= 1, 5000);
    assert.deepEqual(
      { gateway: results[0]!.gateway, device: results[0]!.device, commandId: results[0]!.commandId, status: results[0]!.status },
      { gateway: gw, device: 'dev1', commandId: 'c-1', status: 'SUCCEEDED' },
    );
    // the good command's issuedAt → arrival is recorded (the bad one has no issuedAt: not counted)
    const cmdStats = fleet.report();
    assert.equal(cmdStats.commandLatencyMs.count, 1);
    assert.ok(cmdStats.commandLatencyMs.max >= 0 && cmdStats.commandLatencyMs.max < 5000, `command latency ${cmdStats.commandLatencyMs.max} ms`);
    assert.ok(cmdStats.lastCommandAt >= cmd.issuedAt && cmdStats.lastCommandAt <= Date.now(), 'lastCommandAt is when it arrived');

    // steady state: 50 gateways × 10 Hz ≈ 500 acked/s
    fleet.markWindow();
    await new Promise((r) => setTimeout(r, 2000));
    const steady = fleet.report();
    // generous bounds: the suite shares 2 cores with everything else
    assert.ok(steady.ackedPerSec > 200 && steady.ackedPerSec < 650, `acked ${steady.ackedPerSec}/s`);
    assert.ok(steady.ackLatencyMs.count > 300 && steady.ackLatencyMs.p50 > 0 && steady.ackLatencyMs.p50 <= steady.ackLatencyMs.p99);
    assert.ok(steady.e2eLatencyMs !== undefined && steady.e2eLatencyMs.observed > 300, 'observer saw the telemetry');
    assert.ok(steady.e2eLatencyMs.p99 < 2000, `e2e p99 ${steady.e2eLatencyMs.p99} ms on loopback`);
    assert.equal(steady.publishErrors, 0);

    // broker killed -9 and back: every gateway reconnects by itself, spread out by the jitter
    const before = relay.accepted.length;
    await mosq.kill();
    await until('all gateways to notice', () => fleet!.report().connected === 0, 5000);
    await new Promise((r) => setTimeout(r, 300));
    await mosq.restart();
    await until('all gateways to reconnect', () => fleet!.report().connected === N, 20_000);
    const after = fleet.report();
    assert.ok(after.reconnects >= N, `reconnects ${after.reconnects}`);
    assert.ok(after.skippedOffline > 0, 'ticks while offline are skipped, not queued');
    const reconnectTimes = relay.accepted.slice(before).map((a) => a.at);
    const spreadMs = Math.max(...reconnectTimes) - Math.min(...reconnectTimes);
    assert.ok(spreadMs > 100, `reconnects spread over ${spreadMs} ms only`);
    const ackedAt = after.acked;
    await until('telemetry to flow again', () => fleet!.stats.acked > ackedAt + 200, 5000);

    const final = await fleet.stop();
    fleet = undefined;
    assert.equal(final.gateways, N);
    assert.ok(final.rssBytes > 0);
  });

  it('a fleet with an address offset connects from the addresses after it', async () => {
    const before = relay.accepted.length;
    const report = await runFleet({ url: `mqtt://127.0.0.1:${relay.port}`, gateways: 5, rateHz: 0, durationMs: 1000, idPrefix: 'off-', addressOffset: 3000 });
    assert.equal(report.connects, 5);
    assert.equal(report.subscribed, 5, 'each SUBACK counted');
    assert.equal(report.statusAcked, 5, 'each retained status PUBACK counted');
    const addrs = relay.accepted.slice(before).map((a) => a.address.replace(/^::ffff:/, '')).sort();
    assert.deepEqual(addrs, [0, 1, 2, 3, 4].map((i) => sourceAddress(3000 + i)).sort());
  });

  it('refuses an address offset that runs past 127.255.255.254', () => {
    assert.throws(() => startFleet({ url: 'mqtt://127.0.0.1:1', gateways: 10, addressOffset: 254 * 65_535 - 5 }), (err: unknown) => err instanceof CausewayError && err.code === 'USAGE' && /addressOffset/.test(err.message));
  });

  it('runFleet runs for a duration and reports', async () => {
    const report = await runFleet({ url: `mqtt://127.0.0.1:${mosq.port}`, gateways: 20, rateHz: 5, durationMs: 1000, idPrefix: 'rf-' });
    assert.equal(report.gateways, 20);
    assert.ok(report.elapsedMs >= 1000 && report.elapsedMs < 5000, `elapsed ${report.elapsedMs}`);
    assert.ok(report.ackedPerSec > 40 && report.ackedPerSec < 150, `acked ${report.ackedPerSec}/s for 20 × 5 Hz`);
    assert.equal(report.e2eLatencyMs, undefined);
  });

  it('refuses a bad url or gateway count with a usage error', () => {
    assert.throws(() => startFleet({ url: 'http://x', gateways: 1 }), /only mqtt:\/\//);
    assert.throws(() => startFleet({ url: 'mqtt://127.0.0.1:1', gateways: 0 }), /gateways must be/);
  });
});
