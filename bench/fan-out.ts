/**
 * Fan-out: one publisher → N subscribers on one topic, QoS 0 and QoS 1; delivered messages per second
 * on mosquitto, aedes and causeway-cloud, each started fresh, one at a time.
 *
 *   npm run bench -- fan-out [--quick] [--subs 200] [--messages 2000] [--ms 8000] [--window 10]
 *                            [--payload 64] [--qos 0,1] [--brokers mosquitto,aedes,causeway]
 *                            [--protocol 4|5] [--alias-max N] [--cpu-prof DIR]
 *                            [--rounds N]  (N rounds, brokers alternated: medians and per-round ratios)
 *
 * `--protocol 5 --alias-max 16`: the subscribers' CONNECT sets Topic Alias Maximum 16, so a broker that
 * aliases outbound topics (causeway-cloud, issue 15) sends each repeated topic as a 2-byte alias; the rows
 * show bytes per delivery either way.
 */
import { resolve } from 'node:path';
import { boolFlag, intFlag, listFlag } from './lib/args.js';
import { describeLoad, rowsForBrokers, type BrokerCase } from './lib/broker-rows.js';
import { isCompetitorName } from './lib/competitors.js';
import { runFanOut } from './lib/load.js';
import type { BenchArgs, BenchResult } from './lib/result.js';

export const description = '1 publisher → N subscribers, QoS 0 and 1, delivered msgs/s: mosquitto, aedes, causeway-cloud';

export async function run(args: BenchArgs): Promise<BenchResult> {
  const quick = boolFlag(args, 'quick');
  const subscribers = intFlag(args, 'subs', quick ? 50 : 200);
  const messages = intFlag(args, 'messages', quick ? 200 : 2000);
  const durationMs = intFlag(args, 'ms', quick ? 2000 : 8000);
  const window = intFlag(args, 'window', 10);
  const payloadBytes = intFlag(args, 'payload', 64);
  const qosList = listFlag(args, 'qos', ['0', '1']).map((q) => {
    if (q !== '0' && q !== '1') throw new Error(`--qos takes 0 and/or 1, got ${q}`);
    return Number(q) as 0 | 1;
  });
  const protocolVersion = intFlag(args, 'protocol', 4);
  if (protocolVersion !== 4 && protocolVersion !== 5) throw new Error(`--protocol takes 4 (MQTT 3.1.1) or 5, got ${protocolVersion}`);
  const aliasMax = intFlag(args, 'alias-max', 0);
  if (aliasMax > 0 && protocolVersion !== 5) throw new Error('--alias-max needs --protocol 5 (topic aliases are MQTT 5)');
  const brokers = listFlag(args, 'brokers', ['mosquitto', 'aedes', 'causeway']).map((b) => {
    if (!isCompetitorName(b)) throw new Error(`--brokers: unknown broker ${b}`);
    return b;
  });
  const cases: BrokerCase[] = qosList.map((qos) => ({
    label: `QoS ${qos}, 1 → ${subscribers} subs`,
    run: (b) => runFanOut({
      url: b.url,
      brokerPid: b.pid,
      protocolVersion,
      ...(aliasMax > 0 ? { topicAliasMaximum: aliasMax } : {}),
      prefix: `fo${qos}-${process.pid}`,
      subscribers,
      qos,
      messages,
      durationMs,
      payloadBytes,
      window,
    }),
    figure: (r) => r.deliveredPerSec,
    handled: (r) => r.delivered,
    describe: (r) => describeLoad(r, 'delivered'),
  }));
  // `--cpu-prof DIR`: a V8 CPU profile of causeway-cloud, written when it stops (bench/lib/cpu-profile-top.ts sums it up).
  const profDir = typeof args['cpu-prof'] === 'string' ? resolve(args['cpu-prof']) : undefined;
  const causewayNodeArgs = profDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`];
  const rows = await rowsForBrokers(brokers, cases, () => ({ persistence: false, causewayNodeArgs }), intFlag(args, 'rounds', 1));
  return {
    name: 'fan-out',
    unit: 'delivered msgs/s',
    rows,
    notes: [
      `${subscribers} subscribers and 1 publisher (${protocolVersion === 5 ? `MQTT 5${aliasMax > 0 ? `, subscribers allow ${aliasMax} topic aliases` : ''}` : 'MQTT 3.1.1'}, clean sessions, ${payloadBytes}-byte payloads, topic bench/fan-out/fo{qos}-{pid}) in one Node process; at most ${window} messages in flight; capped at ${messages} messages or ${durationMs} ms per run; B/delivery = bytes the subscribers' sockets received per delivery`,
      'latency = publish → delivery, same clock; each broker started fresh and alone on the machine (mosquitto persistence off, aedes in-memory)',
      'the load generator shares the 2 cores with the broker and is single-threaded: compare the broker CPU µs/msg too: while the generator (or a busy machine) is the bottleneck, msgs/s says more about MQTT.js than about the broker',
    ],
  };
}
