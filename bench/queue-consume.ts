/**
 * Queue consume (issue 7): devices publish QoS 1 telemetry at a fixed rate while a backend consumes
 * the `telemetry` server-side queue, (a) through the HTTP API as a clustering consumer group of 2
 * members that long-poll and ack, (b) through an MQTT 5 shared subscription `$share/bench/telemetry/#`
 * with 2 members. Reported: msgs/s consumed and the lag (published − consumed) when publishing stops
 * and after a bounded drain. No competitor has server-side queues, so the consumed rate is compared with
 * the publish rate (ratio consumed ÷ published).
 *
 *   npm run bench -- queue-consume [--quick] [--rate 500] [--seconds 20] [--devices 50]
 *                                  [--max 100] [--drain-ms 15000] [--modes http,share]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeEnvelope, type ReadingBatch } from '@causeway/shared';
import { boolFlag, intFlag, listFlag } from './lib/args.js';
import { cloudApi, type CloudApi } from './lib/cloud-api.js';
import { startCauseway, type RunningBroker } from './lib/competitors.js';
import { Histogram } from './lib/histogram.js';
import { forEachConcurrent, rawConnect, type RawClient } from './lib/raw-mqtt.js';
import type { BenchArgs, BenchResult, ResultRow } from './lib/result.js';

export const description = 'telemetry queue consumed by an HTTP consumer group (2 members, long-poll + ack) and by an MQTT 5 shared subscription: msgs/s and lag vs the publish rate';

type Mode = 'http' | 'share';

interface Params {
  rate: number;
  seconds: number;
  devices: number;
  max: number;
  drainMs: number;
}

interface Measured {
  published: number;
  acked: number;
  consumed: number;
  duplicates: number;
  lagAtStop: number;
  lagAtEnd: number;
  publishMs: number;
  /** first publish → last consumed message */
  consumeMs: number;
  /** publish (stamped in the payload) → consumed, µs */
  latency: Histogram;
}

/** Counts each message once by its id (at-least-once delivery may repeat one) and records its latency. */
class Tally {
  readonly seen = new Set<string>();
  duplicates = 0;
  last = 0;
  readonly latency = new Histogram();
  add(id: string, sentAt: number): void {
    if (this.seen.has(id)) {
      this.duplicates++;
      return;
    }
    this.seen.add(id);
    this.last = performance.now();
    this.latency.record((Date.now() - sentAt) * 1000);
  }
}

function batch(gateway: string, n: number): ReadingBatch {
  const now = Date.now();
  return { v: 1, type: 'batch', id: `${gateway}-${n}`, gateway, device: 'therm-1', stream: 'temp', readings: [{ seq: n, ts: now, value: 20 + (n % 10) / 10, unit: 'C' }] };
}

/** Publishes `rate` msgs/s spread over the devices for `seconds`, in 10 ms ticks; resolves at the end. */
async function publishAtRate(devices: RawClient[], p: Params, counts: { published: number; acked: number }, stop: () => boolean): Promise<number> {
  const t0 = performance.now();
  const total = p.rate * p.seconds;
  let n = 0;
  while (n < total && !stop()) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * p.rate));
    for (; n < due; n++) {
      const d = n % devices.length;
      const gw = `gw${d}`;
      counts.published++;
      devices[d]!.publish(`telemetry/${gw}/therm-1/temp`, encodeEnvelope(batch(gw, n)), 1).then(() => counts.acked++, () => undefined);
    }
    await sleep(10);
  }
  return performance.now() - t0;
}

interface Consumer {
  stop(): Promise<void>;
}

/** (a) two members of a clustering group, each looping pull (long-poll) → ack. */
function httpConsumers(api: CloudApi, tally: Tally, max: number): Consumer {
  let stopping = false;
  const member = async (name: string): Promise<void> => {
    while (!stopping) {
      const r = await api.call<{ messages: Array<{ offset: number; envelope?: ReadingBatch }> }>('POST', '/v1/queues/telemetry/groups/bench/pull', { member: name, max, waitMs: 1000, mode: 'clustering' });
      if (r.messages.length === 0) continue;
      for (const m of r.messages) tally.add(m.envelope?.id ?? `offset-${m.offset}`, m.envelope?.readings[0]?.ts ?? Date.now());
      await api.call('POST', '/v1/queues/telemetry/groups/bench/ack', { member: name, offsets: r.messages.map((m) => m.offset), mode: 'clustering' });
    }
  };
  const loops = [member('m1'), member('m2')];
  return {
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

/** (b) two MQTT 5 clients sharing `$share/bench/telemetry/#` at QoS 1 (PUBACK on receipt). */
async function shareConsumers(broker: RunningBroker, tally: Tally): Promise<Consumer> {
  const onMessage = (_t: string, payload: Buffer): void => {
    const env = JSON.parse(payload.toString('utf8')) as ReadingBatch;
    tally.add(env.id, env.readings[0]?.ts ?? Date.now());
  };
  const members = await Promise.all(['s1', 's2'].map(async (id) => {
    const c = await rawConnect({ host: '127.0.0.1', port: broker.port, clientId: `qc-${process.pid}-${id}`, clean: true, protocolVersion: 5, onMessage });
    await c.subscribe('$share/bench/telemetry/#', 1);
    return c;
  }));
  return {
    async stop() {
      await Promise.all(members.map((m) => m.disconnect()));
    },
  };
}

async function measure(mode: Mode, p: Params): Promise<Measured> {
  const broker = await startCauseway({ api: mode === 'http' });
  const devices: RawClient[] = [];
  try {
    const tally = new Tally();
    const consumer = mode === 'http' ? httpConsumers(await cloudApi(broker), tally, p.max) : await shareConsumers(broker, tally);
    await forEachConcurrent(p.devices, 50, async (i) => {
      devices[i] = await rawConnect({ host: '127.0.0.1', port: broker.port, clientId: `gw${i}`, clean: true, protocolVersion: 4 });
    });
    const counts = { published: 0, acked: 0 };
    const t0 = performance.now();
    const publishMs = await publishAtRate(devices, p, counts, () => false);
    const lagAtStop = counts.published - tally.seen.size;
    const drainUntil = Date.now() + p.drainMs;
    while (tally.seen.size < counts.published && Date.now() < drainUntil) await sleep(50);
    await consumer.stop();
    return {
      published: counts.published,
      acked: counts.acked,
      consumed: tally.seen.size,
      duplicates: tally.duplicates,
      lagAtStop,
      lagAtEnd: counts.published - tally.seen.size,
      publishMs,
      consumeMs: Math.max(1, tally.last - t0),
      latency: tally.latency,
    };
  } finally {
    for (const d of devices) d?.destroy();
    await broker.stop();
  }
}

export async function run(args: BenchArgs): Promise<BenchResult> {
  const quick = boolFlag(args, 'quick');
  const p: Params = {
    rate: intFlag(args, 'rate', quick ? 200 : 500),
    seconds: intFlag(args, 'seconds', quick ? 5 : 20),
    devices: intFlag(args, 'devices', quick ? 20 : 50),
    max: intFlag(args, 'max', 100),
    drainMs: intFlag(args, 'drain-ms', quick ? 5000 : 15_000),
  };
  const modes = listFlag(args, 'modes', ['http', 'share']).map((m) => {
    if (m !== 'http' && m !== 'share') throw new Error(`--modes takes http and/or share, got ${m}`);
    return m as Mode;
  });
  const rows: ResultRow[] = [];
  for (const mode of modes) {
    const label = mode === 'http' ? '(a) HTTP consumer group, 2 members, pull + ack' : '(b) MQTT 5 $share/bench/telemetry/#, 2 members';
    process.stderr.write(`  ${label}…\n`);
    try {
      const m = await measure(mode, p);
      const pubRate = m.published / (m.publishMs / 1000);
      const consRate = m.consumed / (m.consumeMs / 1000);
      process.stderr.write(`    published ${m.published} (${pubRate.toFixed(0)}/s), consumed ${m.consumed} (${consRate.toFixed(0)}/s), lag ${m.lagAtStop} → ${m.lagAtEnd}\n`);
      rows.push({ case: label, contender: 'device publish rate (offered)', ours: false, value: pubRate, detail: `${m.published.toLocaleString('en-US')} QoS 1 PUBLISHes in ${(m.publishMs / 1000).toFixed(1)} s, ${m.acked.toLocaleString('en-US')} PUBACKed` });
      rows.push({
        case: label,
        contender: 'causeway-cloud consumer',
        ours: true,
        value: consRate,
        detail: `consumed ${m.consumed.toLocaleString('en-US')}/${m.published.toLocaleString('en-US')} (+${m.duplicates} redelivered); lag ${m.lagAtStop.toLocaleString('en-US')} when publishing stopped, ${m.lagAtEnd.toLocaleString('en-US')} after ≤ ${p.drainMs / 1000} s drain; publish → consume ${m.latency.summaryMicros()}`,
      });
    } catch (err) {
      rows.push({ case: label, contender: 'causeway-cloud consumer', ours: true, skipped: `run failed: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  return {
    name: 'queue-consume',
    unit: 'msgs/s',
    rows,
    notes: [
      `${p.devices} devices (MQTT 3.1.1, one connection each) publish one-reading JSON batches at QoS 1 to telemetry/gw{i}/therm-1/temp at ${p.rate} msgs/s in total for ${p.seconds} s; each mode runs on a fresh causeway-cloud`,
      `(a) members m1 and m2 of group "bench" (clustering) loop POST …/pull {max ${p.max}, waitMs 1000} then POST …/ack with the offsets; (b) two MQTT 5 clients on $share/bench/telemetry/# at QoS 1, PUBACK on receipt`,
      'no competitor has server-side queues (mosquitto, aedes and nats-server offer shared subscriptions at most), so the "causeway ÷ this" column here is consumed ÷ published rate: 1.00× means the consumers keep up',
      'consumed rate = distinct messages consumed ÷ (first publish → last consumed); at a fixed offered rate it cannot exceed the publish rate, so raise --rate to find the ceiling',
      'latency uses the reading timestamp set at publish (same machine clock)',
    ],
  };
}
