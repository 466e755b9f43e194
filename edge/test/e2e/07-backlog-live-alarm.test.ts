import assert from 'node:assert/strict';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { decodeEnvelope } from '@causeway/shared';
import { startAgent, type Agent } from '../helpers/agent.js';
import { forwardRig } from '../helpers/forward-rig.js';

const BACKLOG = 30_000;

/**
 * After an outage the backlog drains as fast as the (capped) link allows, and an alarm raised meanwhile
 * does not wait behind it: alarms are sent first.
 */
describe('edge e2e 07: a backlog drains while live alarms go first @e2e', function () {
  this.timeout(120_000);
  const rig = forwardRig('e2e07', { proxy: true, filters: ['telemetry/#'] });
  let agent: Agent | undefined;
  const alarmClient = { end: async (): Promise<void> => {} };
  rig.closeFirst(async () => {
    await agent?.kill('SIGKILL');
    await alarmClient.end();
  });

  it('alarms raised during the drain arrive within a second while the backlog is still draining', async () => {
    // Alarm arrival times, measured by a subscriber of its own.
    const latencies: number[] = [];
    const client = await mqtt.connectAsync(rig.broker.url, { clientId: `alarms-${process.pid}` });
    alarmClient.end = async () => void (await client.endAsync(true));
    await client.subscribeAsync('events/+/+/+', { qos: 1 });
    client.on('message', (_t, payload) => {
      const env = decodeEnvelope(payload);
      if (env.type === 'event' && env.event === 'overheat') latencies.push(Date.now() - env.ts);
    });

    rig.proxy.cut();
    agent = startAgent([
      '--gateway.id', 'gw-e2e7', '--cloud.url', `mqtt://127.0.0.1:${rig.proxy.port}`, '--store.path', join(rig.dir, 'outbox.db'),
      '--cloud.keepaliveSeconds', '2', '--cloud.connectTimeoutSeconds', '2', '--cloud.backoffBaseMs', '100', '--cloud.backoffMaxMs', '300',
      // a slow cellular link: the backlog takes several seconds to drain
      '--uplink.maxBytesPerSecond', '25000', '--uplink.batchMaxReadings', '200', '--log.level', 'warn',
    ]);
    const t0 = Date.now() - 3_600_000; // an hour-old backlog
    for (let i = 0; i < BACKLOG; i++) agent.send({ device: `d${i % 8}`, stream: 'v', ts: t0 + i, value: i % 100 });
    await agent.waitAck(BACKLOG, 60_000);

    rig.proxy.restore();
    await rig.sub.waitFor(() => rig.sub.readings.size > 0, 20_000, 'the drain to start');
    const alarms = 10;
    for (let i = 0; i < alarms; i++) {
      agent.send({ device: 'boiler', event: 'overheat', severity: 'alarm', ts: Date.now(), data: { temp: 99 + i } });
      await new Promise((r) => setTimeout(r, 150));
    }
    await rig.sub.waitFor(() => latencies.length === alarms, 20_000, 'every alarm');
    const drainedWhenAlarmsDone = rig.sub.readings.size;
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.ceil(latencies.length * 0.99) - 1]!;
    assert.ok(drainedWhenAlarmsDone < BACKLOG, `the backlog was still draining (${drainedWhenAlarmsDone}/${BACKLOG}) when the alarms were through`);
    assert.ok(p99 < 1000, `alarm p99 ${p99} ms while a ${BACKLOG}-reading backlog drained`);
    await rig.sub.waitFor(() => rig.sub.readings.size === BACKLOG, 60_000, 'the whole backlog');
    console.log(`      alarm latency p50 ${latencies[Math.floor(latencies.length / 2)]} ms, p99 ${p99} ms; ${drainedWhenAlarmsDone}/${BACKLOG} backlog readings delivered by then`);
  });
});
