/**
 * MQTT.js load helpers for the broker benchmarks: connect N clients, fan one publisher out to N
 * subscribers, or fan N publishers in, counting deliveries and PUBACKs and recording latency in a
 * Histogram (µs). Every run is bounded by a message count AND a duration, and stops early (reporting
 * it) when the broker makes no progress for `stallMs`.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { Histogram } from './histogram.js';

export interface ClientSpec {
  url: string;
  protocolVersion: 4 | 5;
  /** client ids are `${prefix}-${i}` */
  prefix: string;
  /** the broker's pid, to measure its CPU while messages flow */
  brokerPid?: number;
  connectTimeoutMs?: number;
  /** v5: the Topic Alias Maximum the clients' CONNECT sets (the broker may then alias what it sends them) */
  topicAliasMaximum?: number;
}

/** Connects `n` clients, `concurrency` at a time (a thousand simultaneous CONNECTs trip SYN backlogs). */
export async function connectMany(n: number, spec: ClientSpec, concurrency = 50): Promise<MqttClient[]> {
  const clients: MqttClient[] = [];
  try {
    for (let i = 0; i < n; i += concurrency) {
      const batch = Array.from({ length: Math.min(concurrency, n - i) }, (_, j) => mqtt.connectAsync(spec.url, {
        clientId: `${spec.prefix}-${i + j}`,
        protocolVersion: spec.protocolVersion,
        clean: true,
        reconnectPeriod: 0,
        keepalive: 60,
        connectTimeout: spec.connectTimeoutMs ?? 10_000,
        ...(spec.protocolVersion === 5 && spec.topicAliasMaximum !== undefined ? { properties: { topicAliasMaximum: spec.topicAliasMaximum } } : {}),
      }));
      clients.push(...(await Promise.all(batch)));
    }
  } catch (err) {
    await closeAll(clients);
    throw err;
  }
  return clients;
}

/** Ends every client, forcibly if the broker does not answer within a second. */
export async function closeAll(clients: readonly MqttClient[]): Promise<void> {
  await Promise.all(clients.map(async (c) => {
    await Promise.race([c.endAsync(false), sleep(1000)]);
    if (!c.disconnected) c.end(true);
  }));
}

/** 8-byte send time (performance.now(), ms) then zero padding: sender and receivers share one clock. */
function stampedPayload(bytes: number): Buffer {
  const b = Buffer.alloc(Math.max(8, bytes));
  b.writeDoubleLE(performance.now(), 0);
  return b;
}

function latencyMicros(payload: Buffer): number {
  return payload.length >= 8 ? (performance.now() - payload.readDoubleLE(0)) * 1000 : NaN;
}

/**
 * CPU seconds (user+system) a Linux process has used so far, all its threads; with `thread`, that one
 * thread's (`thread === pid` is the main thread: a Node broker's event loop, without V8's compiler and GC
 * helpers or libuv's pool). NaN when /proc is unavailable.
 */
export function cpuSeconds(pid: number, thread?: number): number {
  try {
    const stat = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11], fields[12] are utime and stime (14th and 15th of the full line) in clock ticks
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** CPU used while messages flowed (connects and subscribes excluded), for the cost-per-message figures. */
export interface CpuWindow {
  /** wall time of the measured phase */
  wallMs: number;
  /** broker CPU seconds in the phase (NaN without brokerPid or /proc) */
  brokerS: number;
  /** of which its main thread's: for a Node broker, the event loop that bounds its msgs/s */
  brokerMainS: number;
  /** this process's CPU seconds in the phase */
  generatorS: number;
}

class CpuMeter {
  readonly #pid: number | undefined;
  readonly #wall0 = performance.now();
  readonly #broker0: number;
  readonly #main0: number;
  readonly #gen0 = process.cpuUsage();
  constructor(pid: number | undefined) {
    this.#pid = pid;
    this.#broker0 = pid === undefined ? NaN : cpuSeconds(pid);
    this.#main0 = pid === undefined ? NaN : cpuSeconds(pid, pid);
  }
  read(): CpuWindow {
    const gen = process.cpuUsage(this.#gen0);
    return {
      wallMs: performance.now() - this.#wall0,
      brokerS: this.#pid === undefined ? NaN : cpuSeconds(this.#pid) - this.#broker0,
      brokerMainS: this.#pid === undefined ? NaN : cpuSeconds(this.#pid, this.#pid) - this.#main0,
      generatorS: (gen.user + gen.system) / 1e6,
    };
  }
}

export interface LoadReport {
  /** CPU from the first PUBLISH to the end of the drain */
  cpu: CpuWindow;
  published: number;
  acked: number;
  expected: number;
  delivered: number;
  elapsedMs: number;
  deliveredPerSec: number;
  ackedPerSec: number;
  /** fan-out: publish → delivery; fan-in: publish → PUBACK */
  latency: Histogram;
  /** fan-in: how long after the last PUBACK the subscriber's last delivery came (0 when none) */
  catchUpMs?: number;
  /** why the run ended before its message cap, if it did */
  stopReason: 'count' | 'duration' | 'stalled';
  /** fan-out: bytes the subscribers' sockets received per delivery while messages flowed (MQTT framing included) */
  bytesPerDelivery?: number;
}

/**
 * Lets the publishing loop sleep until the delivery count reaches a target, or `ms` passes. The message
 * handler calls `reached(count)` on every delivery; only the one that reaches the target wakes the loop,
 * so a 1,000-subscriber fan-out does not create a promise per delivery.
 */
class Threshold {
  #target = Infinity;
  #resolve: ((reached: boolean) => void) | undefined;
  reached(count: number): void {
    if (count < this.#target) return;
    const r = this.#resolve;
    this.#resolve = undefined;
    this.#target = Infinity;
    r?.(true);
  }
  async wait(target: number, current: number, ms: number): Promise<boolean> {
    if (current >= target) return true;
    let timer: NodeJS.Timeout | undefined;
    const kicked = await new Promise<boolean>((res) => {
      this.#target = target;
      this.#resolve = res;
      timer = setTimeout(() => {
        this.#resolve = undefined;
        this.#target = Infinity;
        res(false);
      }, ms);
    });
    clearTimeout(timer);
    return kicked;
  }
}

export interface FanOutOptions extends ClientSpec {
  subscribers: number;
  qos: 0 | 1;
  /** cap on messages published */
  messages: number;
  /** cap on the publishing phase */
  durationMs: number;
  payloadBytes: number;
  /** messages allowed in flight (published, not yet delivered to every subscriber) */
  window: number;
  stallMs?: number;
}

/**
 * One publisher → `subscribers` subscribers on one topic. The publisher keeps at most `window` messages
 * ahead of the slowest delivery so the figure is sustained throughput, not the depth of a socket buffer.
 */
export async function runFanOut(o: FanOutOptions): Promise<LoadReport> {
  const topic = `bench/fan-out/${o.prefix}`;
  const subs = await connectMany(o.subscribers, { ...o, prefix: `${o.prefix}-sub` });
  const [pub] = await connectMany(1, { ...o, prefix: `${o.prefix}-pub` }).catch(async (err: unknown) => {
    await closeAll(subs);
    throw err;
  });
  try {
    const latency = new Histogram();
    const progress = new Threshold();
    let delivered = 0;
    let lastDelivery = 0;
    for (const s of subs) {
      s.on('message', (_t, payload) => {
        delivered++;
        lastDelivery = performance.now();
        latency.record(latencyMicros(payload));
        progress.reached(delivered);
      });
    }
    for (let i = 0; i < subs.length; i += 50) {
      await Promise.all(subs.slice(i, i + 50).map((s) => s.subscribeAsync(topic, { qos: o.qos })));
    }
    // Bytes on the wire toward the subscribers from the first PUBLISH on (the SUBACKs are behind us).
    let bytesIn = 0;
    for (const s of subs) s.stream.on('data', (b: Buffer) => (bytesIn += b.length));
    const n = subs.length;
    const stallMs = o.stallMs ?? 3000;
    let published = 0;
    let acked = 0;
    let stopReason: LoadReport['stopReason'] = 'count';
    const meter = new CpuMeter(o.brokerPid);
    const start = performance.now();
    const deadline = start + o.durationMs;
    while (published < o.messages) {
      if (performance.now() >= deadline) {
        stopReason = 'duration';
        break;
      }
      if (published * n - delivered >= o.window * n) {
        // Sleep until the oldest message in the window has reached every subscriber.
        if (!(await progress.wait((published - o.window + 1) * n, delivered, stallMs))) {
          stopReason = 'stalled';
          break;
        }
        continue;
      }
      pub!.publish(topic, stampedPayload(o.payloadBytes), { qos: o.qos }, (err) => {
        if (err === undefined || err === null) acked++;
      });
      published++;
    }
    // Drain: wait for what is still in flight, bounded by stallMs of silence.
    const expected = published * n;
    await progress.wait(expected, delivered, stallMs);
    // A QoS 1 PUBACK to the publisher may trail the last delivery to a subscriber.
    const ackDeadline = performance.now() + stallMs;
    while (o.qos === 1 && acked < published && performance.now() < ackDeadline) await sleep(5);
    const cpu = meter.read();
    const elapsedMs = Math.max(1, (lastDelivery || performance.now()) - start);
    return {
      cpu,
      published,
      acked,
      expected,
      delivered,
      elapsedMs,
      deliveredPerSec: (delivered / elapsedMs) * 1000,
      ackedPerSec: (acked / elapsedMs) * 1000,
      latency,
      stopReason,
      bytesPerDelivery: delivered > 0 ? bytesIn / delivered : Number.NaN,
    };
  } finally {
    await closeAll([...subs, pub!]);
  }
}

export interface FanInOptions extends ClientSpec {
  publishers: number;
  /** cap on messages published in total */
  messages: number;
  durationMs: number;
  payloadBytes: number;
  /** QoS 1 PUBLISHes each publisher may have awaiting PUBACK */
  inflight: number;
  /** also run one QoS 1 subscriber on every publisher's topic and count what reaches it */
  subscribe: boolean;
  /** after the last PUBACK, how long the subscriber may take to catch up (default 30 s) */
  catchUpMs?: number;
  stallMs?: number;
}

/** `publishers` QoS 1 publishers, each keeping `inflight` PUBLISHes awaiting PUBACK; counts PUBACKs. */
export async function runFanIn(o: FanInOptions): Promise<LoadReport> {
  const pubs = await connectMany(o.publishers, { ...o, prefix: `${o.prefix}-pub` });
  const subs = o.subscribe
    ? await connectMany(1, { ...o, prefix: `${o.prefix}-sub` }).catch(async (err: unknown) => {
      await closeAll(pubs);
      throw err;
    })
    : [];
  try {
    let delivered = 0;
    let lastDelivery = 0;
    for (const s of subs) {
      s.on('message', () => {
        delivered++;
        lastDelivery = performance.now();
      });
      await s.subscribeAsync(`bench/fan-in/${o.prefix}/+`, { qos: 1 });
    }
    const latency = new Histogram();
    const stallMs = o.stallMs ?? 3000;
    let published = 0;
    let acked = 0;
    let lastAck = 0;
    let stopReason: LoadReport['stopReason'] = 'count';
    const start = performance.now();
    const deadline = start + o.durationMs;
    let open = true;
    const meter = new CpuMeter(o.brokerPid);
    const send = (pub: MqttClient, topic: string): void => {
      if (!open || published >= o.messages) return;
      published++;
      const sent = performance.now();
      pub.publish(topic, stampedPayload(o.payloadBytes), { qos: 1 }, (err) => {
        if (err !== undefined && err !== null) return;
        acked++;
        lastAck = performance.now();
        latency.record((lastAck - sent) * 1000);
        send(pub, topic);
      });
    };
    pubs.forEach((p, i) => {
      for (let k = 0; k < o.inflight; k++) send(p, `bench/fan-in/${o.prefix}/p${i}`);
    });
    // Each PUBACK publishes the next message; this loop only watches the caps and for a stall.
    const stalled = (): boolean => performance.now() - Math.max(lastAck, start) > stallMs;
    while (acked < o.messages) {
      if (performance.now() >= deadline) {
        stopReason = 'duration';
        break;
      }
      if (stalled()) {
        stopReason = 'stalled';
        break;
      }
      await sleep(10);
    }
    open = false;
    const expected = published;
    while (acked < expected && !stalled()) await sleep(10);
    // Let the subscriber catch up with what was acknowledged: as long as deliveries keep coming (no gap
    // of stallMs), up to catchUpMs in all. A broker that queues durably may deliver late but not lose.
    const catchUpStart = performance.now();
    let seen = delivered;
    let lastProgress = catchUpStart;
    while (subs.length > 0 && delivered < acked) {
      const now = performance.now();
      if (now - catchUpStart > (o.catchUpMs ?? 30_000) || now - lastProgress > stallMs) break;
      if (delivered > seen) {
        seen = delivered;
        lastProgress = now;
      }
      await sleep(20);
    }
    const cpu = meter.read();
    const catchUpMs = subs.length > 0 && lastDelivery > 0 ? Math.max(0, lastDelivery - lastAck) : 0;
    const elapsedMs = Math.max(1, (lastAck || performance.now()) - start);
    return {
      cpu,
      published,
      acked,
      expected,
      delivered,
      elapsedMs,
      deliveredPerSec: (delivered / elapsedMs) * 1000,
      ackedPerSec: (acked / elapsedMs) * 1000,
      latency,
      stopReason,
      catchUpMs,
    };
  } finally {
    await closeAll([...pubs, ...subs]);
  }
}
