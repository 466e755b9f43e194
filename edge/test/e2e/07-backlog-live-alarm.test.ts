import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { decodeEnvelope } from '@causeway/shared';
import { startFaultProxy, type FaultProxy } from '@causeway/sim/fault-proxy/fault-proxy.js';
import { startAgent, type Agent } from '../helpers/agent.js';
import { startCollector, type Collector } from '../helpers/collector.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';

const BACKLOG = 30_000;

/**
 * After an outage the backlog drains as fast as the (capped) link allows, and an alarm raised meanwhile
 * does not wait behind it: alarms are sent first.
 */
describe('edge e2e 07: a backlog drains while live alarms go first @e2e', function () {
  this.timeout(120_000);
  let broker: Mosquitto;
  let proxy: FaultProxy;
  let sub: Collector;
  let dir: string;
  let agent: Agent | undefined;
  const alarmClient = { end: async (): Promise<void> => {} };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edge-e2e07-'));
    broker = await startMosquitto();
    proxy = await startFaultProxy({ targetPort: broker.port });
    sub = await startCollector(broker.url, ['telemetry/#']);
  });
  after(async () => {
    await agent?.kill('SIGKILL');
    await alarmClient.end();
    await proxy?.close();
    await sub?.close();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('alarms raised during the drain arrive within a second while the backlog is still draining', async () => {
    // Alarm arrival times, measured by a subscriber of its own.
    const latencies: number[] = [];
    const client = await mqtt.connectAsync(broker.url, { clientId: `alarms-${process.pid}` });
    alarmClient.end = async () => void (await client.endAsync(true));
    await client.subscribeAsync('events/+/+/+', { qos: 1 });
    client.on('message', (_t, payload) => {
      const env = decodeEnvelope(payload);
      if (env.type === 'event' && env.event === 'overheat') latencies.push(Date.now() - env.ts);
    });

    proxy.cut();
    agent = startAgent([
      '--gateway.id', 'gw-e2e7', '--cloud.url', `mqtt://127.0.0.1:${proxy.port}`, '--store.path', join(dir, 'outbox.db'),
      '--cloud.keepaliveSeconds', '2', '--cloud.connectTimeoutSeconds', '2', '--cloud.backoffBaseMs', '100', '--cloud.backoffMaxMs', '300',
      // a slow cellular link: the backlog takes several seconds to drain
      '--uplink.maxBytesPerSecond', '25000', '--uplink.batchMaxReadings', '200', '--log.level', 'warn',
    ]);
    const t0 = Date.now() - 3_600_000; // an hour-old backlog
    for (let i = 0; i < BACKLOG; i++) agent.send({ device: `d${i % 8}`, stream: 'v', ts: t0 + i, value: i % 100 });
    await agent.waitAck(BACKLOG, 60_000);

    proxy.restore();
    await sub.waitFor(() => sub.readings.size > 0, 20_000, 'the drain to start');
    const alarms = 10;
    for (let i = 0; i < alarms; i++) {
      agent.send({ device: 'boiler', event: 'overheat', severity: 'alarm', ts: Date.now(), data: { temp: 99 + i } });
      await new Promise((r) => setTimeout(r, 150));
    }
    await sub.waitFor(() => latencies.length === alarms, 20_000, 'every alarm');
    const drainedWhenAlarmsDone = sub.readings.size;
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.ceil(latencies.length * 0.99) - 1]!;
    assert.ok(drainedWhenAlarmsDone < BACKLOG, `the backlog was still draining (${drainedWhenAlarmsDone}/${BACKLOG}) when the alarms were through`);
    assert.ok(p99 < 1000, `alarm p99 ${p99} ms while a ${BACKLOG}-reading backlog drained`);
    await sub.waitFor(() => sub.readings.size === BACKLOG, 60_000, 'the whole backlog');
    console.log(`      alarm latency p50 ${latencies[Math.floor(latencies.length / 2)]} ms, p99 ${p99} ms; ${drainedWhenAlarmsDone}/${BACKLOG} backlog readings delivered by then`);
  });
});
