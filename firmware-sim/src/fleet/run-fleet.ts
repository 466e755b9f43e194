import mqtt from 'mqtt';
import { CausewayError, tryDecodeEnvelope } from '@causeway/shared';
import { FleetStats, type FleetReport, reportOf } from './fleet-stats.js';
import { SimGateway } from './sim-gateway.js';
import { sourceAddress } from './source-address.js';

export interface FleetOptions {
  /** broker to connect to, `mqtt://127.0.0.1:1883` (a load balancer in front of several nodes, or one node) */
  url: string;
  /** several brokers: gateway i connects to urls[i % urls.length] first and fails over to the next ones */
  urls?: string[];
  gateways: number;
  /** telemetry publishes per second per gateway; default 1 */
  rateHz?: number;
  /** devices per gateway; default 4 */
  devices?: number;
  /** default 1 */
  qos?: 0 | 1;
  /** bind each gateway to its own 127.x.y.z source address (default true) */
  spreadSourceAddresses?: boolean;
  /**
   * gateway i binds sourceAddress(addressOffset + i); default 0. Several fleet processes against the same
   * brokers give each its own offset so that together they still look like one fleet of distinct hosts.
   */
  addressOffset?: number;
  /** connections opened per second while ramping up; default 500 */
  connectRatePerSec?: number;
  /** gateway ids are `${idPrefix}${index padded}`; default `gw-` */
  idPrefix?: string;
  keepaliveS?: number;
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  /** `{id}` in it becomes each gateway's id, so each connects as itself with the shared password */
  username?: string;
  password?: string;
  /** called for each acknowledged telemetry publish with the gateway id and the batch id */
  onAcked?: (gatewayId: string, batchId: string) => void;
  /** one extra subscriber on telemetry/# measuring reading time → delivery (end-to-end latency) */
  observe?: boolean;
  random?: () => number;
}

export interface Fleet {
  readonly stats: FleetStats;
  readonly gateways: readonly SimGateway[];
  readonly ids: readonly string[];
  /** resolves once every gateway has connected at least once (rejects after timeoutMs) */
  allConnected(timeoutMs: number): Promise<void>;
  report(): FleetReport;
  /** from now on, elapsedMs and ackedPerSec cover only what follows (e.g. after the ramp-up) */
  markWindow(): void;
  /** stops every gateway (clean disconnect) and returns the final report */
  stop(): Promise<FleetReport>;
}

function parseUrl(url: string): { host: string; port: number } {
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    throw new CausewayError('USAGE', `broker url must look like mqtt://127.0.0.1:1883, got "${url}"`, { cause: err });
  }
  if (u.protocol !== 'mqtt:' && u.protocol !== 'tcp:') throw new CausewayError('USAGE', `only mqtt:// urls are simulated, got "${url}"`);
  return { host: u.hostname, port: u.port === '' ? 1883 : Number(u.port) };
}

/**
 * Starts a fleet of simulated gateways in this process, ramping connections up at connectRatePerSec.
 *
 * @example
 * const fleet = startFleet({ url: 'mqtt://127.0.0.1:1883', gateways: 2000, rateHz: 1 });
 * await fleet.allConnected(30_000);
 * await new Promise((r) => setTimeout(r, 60_000));
 * console.log(await fleet.stop()); // throughput, ack latency percentiles, reconnects…
 */
export function startFleet(o: FleetOptions): Fleet {
  if (!Number.isSafeInteger(o.gateways) || o.gateways < 1) throw new CausewayError('USAGE', `gateways must be a whole number ≥ 1, got ${o.gateways}`);
  const targets = (o.urls !== undefined && o.urls.length > 0 ? o.urls : [o.url]).map(parseUrl);
  const stats = new FleetStats();
  const random = o.random ?? Math.random;
  const spread = o.spreadSourceAddresses ?? true;
  const offset = o.addressOffset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new CausewayError('USAGE', `addressOffset must be a whole number ≥ 0, got ${offset}`);
  // fail before connecting anything rather than on the first gateway past 127.255.255.254
  if (spread) {
    try {
      sourceAddress(offset + o.gateways - 1);
    } catch (err) {
      throw new CausewayError('USAGE', `addressOffset ${offset} + ${o.gateways} gateways goes past the last 127.x.y.z source address`, { cause: err });
    }
  }
  const width = String(o.gateways - 1).length;
  const ids = Array.from({ length: o.gateways }, (_, i) => `${o.idPrefix ?? 'gw-'}${String(i).padStart(width, '0')}`);
  const gateways = ids.map((id, i) => {
    const first = i % targets.length;
    const g: ConstructorParameters<typeof SimGateway>[0] = {
      id,
      targets: [...targets.slice(first), ...targets.slice(0, first)],
      devices: o.devices ?? 4,
      rateHz: o.rateHz ?? 1,
      qos: o.qos ?? 1,
      keepaliveS: o.keepaliveS ?? 60,
      reconnect: { baseMs: o.reconnectBaseMs ?? 200, maxMs: o.reconnectMaxMs ?? 10_000 },
      stats,
      random,
    };
    if (spread) g.localAddress = sourceAddress(offset + i);
    if (o.onAcked !== undefined) g.onAcked = o.onAcked;
    if (o.username !== undefined) g.username = o.username.replaceAll('{id}', id);
    if (o.password !== undefined) g.password = o.password;
    return new SimGateway(g);
  });
  let started = performance.now();
  let ackedBefore = 0;
  let stoppedAt: number | undefined;

  // Ramp: batches every 20 ms so a 10,000-gateway fleet does not SYN-flood the listener's backlog.
  const perTick = Math.max(1, Math.round(((o.connectRatePerSec ?? 500) * 20) / 1000));
  let next = 0;
  const ramp = setInterval(() => {
    for (let k = 0; k < perTick && next < gateways.length; k++) gateways[next++]!.start();
    if (next >= gateways.length) clearInterval(ramp);
  }, 20);

  let observer: mqtt.MqttClient | undefined;
  if (o.observe === true) {
    const t = targets[0]!;
    const observerId = `fleet-observer-${process.pid}`;
    observer = mqtt.connect({ host: t.host, port: t.port, clientId: observerId, reconnectPeriod: 500, ...(o.username === undefined ? {} : { username: o.username.replaceAll('{id}', observerId), password: o.password ?? '' }) });
    observer.on('connect', () => observer!.subscribe('telemetry/#', { qos: 0 }));
    observer.on('message', (_topic, payload) => {
      const d = tryDecodeEnvelope(payload);
      if (!d.ok || d.envelope.type !== 'batch') return;
      stats.observed++;
      const now = Date.now();
      for (const r of d.envelope.readings) stats.e2eLatency.add(now - r.ts);
    });
  }

  const connectedCount = (): number => gateways.reduce((n, g) => n + (g.connected ? 1 : 0), 0);
  const report = (): FleetReport => {
    const r = reportOf(stats, gateways.length, connectedCount(), (stoppedAt ?? performance.now()) - started, observer !== undefined);
    r.ackedPerSec = r.elapsedMs > 0 ? Math.round(((stats.acked - ackedBefore) * 1000) / r.elapsedMs) : 0;
    return r;
  };

  return {
    stats,
    gateways,
    ids,
    allConnected(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      return new Promise((resolve, reject) => {
        const check = setInterval(() => {
          if (stats.connects - stats.reconnects >= gateways.length) {
            clearInterval(check);
            resolve();
          } else if (Date.now() > deadline) {
            clearInterval(check);
            reject(new Error(`only ${stats.connects - stats.reconnects} of ${gateways.length} gateways connected within ${timeoutMs} ms`));
          }
        }, 20);
      });
    },
    report,
    markWindow() {
      started = performance.now();
      ackedBefore = stats.acked;
    },
    async stop() {
      clearInterval(ramp);
      stoppedAt = performance.now();
      const final = report();
      // in chunks: thousands of simultaneous DISCONNECTs are a burst the broker need not get
      for (let i = 0; i < gateways.length; i += 500) await Promise.all(gateways.slice(i, i + 500).map((g) => g.stop()));
      if (observer !== undefined) await observer.endAsync(true).catch(() => undefined);
      return final;
    },
  };
}

/** Starts a fleet, lets it run for `durationMs` after every gateway connected, stops it and reports. */
export async function runFleet(o: FleetOptions & { durationMs: number; connectTimeoutMs?: number }): Promise<FleetReport> {
  const fleet = startFleet(o);
  try {
    await fleet.allConnected(o.connectTimeoutMs ?? 60_000);
  } catch (err) {
    await fleet.stop();
    throw err;
  }
  // Throughput over the steady state, not the ramp.
  fleet.markWindow();
  await new Promise((r) => setTimeout(r, o.durationMs));
  return fleet.stop();
}
