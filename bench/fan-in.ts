/**
 * Fan-in: N publishers, QoS 1, each with a bounded number of PUBLISHes awaiting PUBACK; PUBACKed messages
 * per second on brokers that persist: mosquitto (persistence on), nats-server (MQTT over JetStream) and
 * causeway-cloud. One QoS 1 subscriber on all the topics counts what is delivered.
 *
 *   npm run bench -- fan-in [--quick] [--pubs 50] [--inflight 10] [--messages 200000] [--ms 8000]
 *                           [--payload 64] [--brokers mosquitto,nats,causeway] [--no-sub] [--cpu-prof DIR]
 *                           [--rounds N]  (N rounds, brokers alternated: medians and per-round ratios)
 *                           [--warmup N]  (N messages through each freshly started broker first, not measured)
 *
 * By default each broker is measured cold, from its first message. `--warmup N` first runs the same load for
 * N messages on other topics, with clients of their own that then disconnect, and measures the run after it:
 * what a broker that has been up for a while costs, once a JIT (Causeway's V8) has compiled its hot path.
 */
import { resolve } from 'node:path';
import { boolFlag, intFlag, listFlag } from './lib/args.js';
import { describeLoad, rowsForBrokers, type BrokerCase } from './lib/broker-rows.js';
import { isCompetitorName } from './lib/competitors.js';
import { runFanIn } from './lib/load.js';
import type { BenchArgs, BenchResult } from './lib/result.js';

export const description = 'N publishers QoS 1, PUBACKed msgs/s: mosquitto (persistence on), nats-server MQTT/JetStream, causeway-cloud';

export async function run(args: BenchArgs): Promise<BenchResult> {
  const quick = boolFlag(args, 'quick');
  const publishers = intFlag(args, 'pubs', quick ? 10 : 50);
  const inflight = intFlag(args, 'inflight', 10);
  const messages = intFlag(args, 'messages', quick ? 5000 : 200_000);
  const durationMs = intFlag(args, 'ms', quick ? 2000 : 8000);
  const payloadBytes = intFlag(args, 'payload', 64);
  const subscribe = !boolFlag(args, 'no-sub');
  const warmup = intFlag(args, 'warmup', 0);
  const brokers = listFlag(args, 'brokers', ['mosquitto', 'nats', 'causeway']).map((b) => {
    if (!isCompetitorName(b)) throw new Error(`--brokers: unknown broker ${b}`);
    return b;
  });
  const cases: BrokerCase[] = [{
    label: `QoS 1, ${publishers} pubs → ${subscribe ? '1 sub' : 'no sub'}${warmup > 0 ? `, after ${warmup.toLocaleString('en-US')} warm-up messages` : ''}`,
    run: async (b) => {
      const load = { url: b.url, brokerPid: b.pid, protocolVersion: 4 as const, publishers, durationMs, payloadBytes, inflight, subscribe };
      if (warmup > 0) {
        const w = await runFanIn({ ...load, prefix: `fi-${process.pid}-warm`, messages: warmup });
        if (w.acked < warmup) throw new Error(`warm-up: only ${w.acked} of ${warmup} messages PUBACKed (${w.stopReason})`);
      }
      return runFanIn({ ...load, prefix: `fi-${process.pid}`, messages });
    },
    figure: (r) => r.ackedPerSec,
    handled: (r) => r.acked,
    describe: (r) => {
      const lost = subscribe && r.delivered < r.acked ? ` (${(r.acked - r.delivered).toLocaleString('en-US')} PUBACKed but not delivered)` : '';
      const lag = subscribe && (r.catchUpMs ?? 0) > 100 ? `, its last ${((r.catchUpMs ?? 0) / 1000).toFixed(1)} s after the last PUBACK` : '';
      return `${describeLoad(r, 'acked')} · subscriber got ${r.delivered.toLocaleString('en-US')}${lost}${lag}`;
    },
  }];
  // `--cpu-prof DIR`: a V8 CPU profile of causeway-cloud, written when it stops (bench/lib/cpu-profile-top.ts sums it up).
  const profDir = typeof args['cpu-prof'] === 'string' ? resolve(args['cpu-prof']) : undefined;
  const causewayNodeArgs = profDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`];
  const rows = await rowsForBrokers(brokers, cases, () => ({ persistence: true, causewayNodeArgs }), intFlag(args, 'rounds', 1));
  return {
    name: 'fan-in',
    unit: 'PUBACKed msgs/s',
    rows,
    notes: [
      `${publishers} publishers × ${inflight} in flight (MQTT 3.1.1, ${payloadBytes}-byte payloads) in one Node process; capped at ${messages} messages or ${durationMs} ms; latency = PUBLISH → PUBACK`,
      warmup > 0
        ? `each broker measured warm: ${warmup.toLocaleString('en-US')} messages of the same load on other topics first (clients of their own, disconnected before the measured run), not counted`
        : 'each broker measured cold, from its first message after start (--warmup N measures it after N messages)',
      'durability differs: mosquitto "persistence true" writes its database every autosave_interval (default 1800 s) and at shutdown, so its PUBACK follows no disk write; nats-server keeps MQTT QoS 1 messages in a JetStream file-store stream and syncs it on an interval (2.9.10 made no fsync or fdatasync at all in 6 s of this run under strace, docs/benchmarks.md 2026-12-06 22:40), so its PUBACK follows a write to the page cache, not a durable one; causeway-cloud is to PUBACK only after its log commit',
      'mosquitto drops QoS 1 messages for a subscriber whose queue exceeds max_queued_messages (default 1000); a shortfall shows as "PUBACKed but not delivered" (the subscriber is given up to 30 s after the last PUBACK, as long as deliveries keep coming)',
    ],
  };
}
