/**
 * One LAN sensor publishing QoS 1 as fast as its PUBACKs allow (MQTT.js, one connection, one topic) into
 * the MQTT listener the agent hosts (`ingest.mqtt.listen.port`), the agent forwarding to a real mosquitto
 * as the cloud. Measured: messages/s PUBACKed to the sensor (first PUBLISH → last PUBACK) and messages/s
 * end to end (first PUBLISH → last reading at a cloud subscriber). Baseline in the same run: the same
 * sensor publishing straight to mosquitto (no agent, no durability on its side). Issue 16's target: the
 * sensor ≥ 2,000 msg/s; before the pipelined acks it got ~20 (one outbox commit per message).
 *
 *   npm run bench -- mqtt-sensor-ingest [--quick] [--messages 20000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { freePort } from '@causeway/shared';
import { boolFlag, intFlag } from './lib/args.js';
import { startMosquitto, type RunningBroker } from './lib/competitors.js';
import { startEdgeAgentProcess } from './lib/edge-agent-process.js';
import { subscribeReadings } from './lib/reading-subscriber.js';
import type { BenchArgs, BenchResult, ResultRow } from './lib/result.js';

export const description = 'one local MQTT QoS 1 sensor into the agent\'s hosted listener: msg/s PUBACKed and end to end, vs straight to mosquitto';

const TARGET = 2000;

interface Run {
  acked: number;
  ackSecs: number;
  arrived: number;
  e2eSecs: number;
}

/** Publishes `n` QoS 1 messages on `url` and counts arrivals of device `sensor-1` at `cloud`. */
async function drive(url: string, cloud: RunningBroker, n: number, timeoutMs: number): Promise<Run> {
  let arrived = 0;
  let lastArrival = 0;
  const seen = new Set<number>();
  const sub = await subscribeReadings(cloud.url, '#', cloud.protocolVersion, (r, at) => {
    if (r.device !== 'sensor-1' || typeof r.value !== 'number' || seen.has(r.value)) return;
    seen.add(r.value);
    arrived++;
    lastArrival = at;
  });
  const sensor = await mqtt.connectAsync(url, { clientId: `bench-sensor-${process.pid}`, clean: true, reconnectPeriod: 0 });
  try {
    let acked = 0;
    let lastAck = 0;
    const t0 = Date.now();
    const all: Array<Promise<unknown>> = [];
    for (let seq = 1; seq <= n; seq++) {
      // the baseline publishes the plain reading the subscriber understands; the agent maps `seq` by path
      const body = JSON.stringify({ device: 'sensor-1', ts: t0 + seq, value: seq, seq });
      all.push(sensor.publishAsync('s/sensor-1/v', body, { qos: 1 }).then(() => ((acked++), (lastAck = Date.now()))));
    }
    await Promise.race([Promise.all(all), new Promise((r) => setTimeout(r, timeoutMs))]);
    const until = Date.now() + timeoutMs;
    while (arrived < acked && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    return { acked, ackSecs: (lastAck - t0) / 1000, arrived, e2eSecs: (lastArrival - t0) / 1000 };
  } finally {
    await sensor.endAsync(true);
    await sub.close();
  }
}

export async function run(args: BenchArgs): Promise<BenchResult> {
  const n = intFlag(args, 'messages', boolFlag(args, 'quick') ? 5000 : 20_000);
  const dir = mkdtempSync(join(tmpdir(), 'causeway-bench-sensor-'));
  const cloud = await startMosquitto();
  const rows: ResultRow[] = [];
  const notes: string[] = [];
  try {
    const port = await freePort();
    const agent = await startEdgeAgentProcess({
      storePath: join(dir, 'outbox.db'),
      brokerUrl: cloud.url,
      gateway: 'gw-sensor',
      flags: { 'ingest.mqtt.listen.port': String(port), 'ingest.mqtt.sources': JSON.stringify([{ topic: 's/+/v', device: '{2}', stream: 'v', path: 'seq', qos: 1 }]) },
    });
    const cases: Array<[string, boolean, () => Promise<Run>]> = [
      ['causeway-edge hosted listener → agent → mosquitto (dist, default config)', true, () => drive(`mqtt://127.0.0.1:${port}`, cloud, n, 120_000)],
      [`straight to ${cloud.label} (no agent)`, false, () => drive(cloud.url, cloud, n, 120_000)],
    ];
    try {
      for (const [name, ours, go] of cases) {
        process.stderr.write(`  ${name}…\n`);
        const r = await go();
        const ackRate = r.acked / Math.max(1e-3, r.ackSecs);
        const e2eRate = r.arrived / Math.max(1e-3, r.e2eSecs);
        rows.push({ case: `${n.toLocaleString('en-US')} QoS 1 messages — PUBACKed to the sensor, msg/s`, contender: name, ours, value: ackRate, detail: `${r.acked.toLocaleString('en-US')} PUBACKs in ${r.ackSecs.toFixed(2)} s` });
        rows.push({ case: `${n.toLocaleString('en-US')} QoS 1 messages — at the cloud subscriber, msg/s`, contender: name, ours, value: e2eRate, detail: `${r.arrived.toLocaleString('en-US')} arrived in ${r.e2eSecs.toFixed(2)} s` });
        if (ours) notes.push(`the sensor got ${ackRate.toFixed(0)} msg/s, ${ackRate >= TARGET ? 'meets' : 'MISSES'} the ≥ ${TARGET.toLocaleString('en-US')} msg/s target; end to end ${e2eRate.toFixed(0)} msg/s`);
      }
    } finally {
      await agent.stop();
    }
  } finally {
    await cloud.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    name: 'mqtt-sensor-ingest',
    unit: 'msg/s (higher is better)',
    rows,
    notes: [
      ...notes,
      'the sensor: MQTT.js 3.1.1, clean session, every PUBLISH issued at once (MQTT.js keeps them in flight; the listener reads at most its window of 1,024 unacknowledged), payload ~70 bytes of JSON; times from the first PUBLISH',
      'the hosted listener acknowledges the sensor after its own SQLite group commit; the agent\'s ingest client takes the messages concurrently and acknowledges them to the listener in order as each reading settles in the outbox (committed, or PUBACKed by the cloud on the direct path)',
      'the baseline does less: mosquitto acknowledges before anything reaches disk',
    ],
  };
}
