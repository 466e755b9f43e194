import { LatencyStats, type Percentiles } from './latency-stats.js';

/** Counters every simulated gateway of one fleet adds to (one process, one event loop: no locking). */
export class FleetStats {
  connects = 0;
  reconnects = 0;
  connectErrors = 0;
  disconnects = 0;
  /** SUBACKs of the downlink subscriptions (one per connect) */
  subscribed = 0;
  /** PUBACKs of the retained online status each connect publishes (QoS 1): the broker stored it */
  statusAcked = 0;
  published = 0;
  acked = 0;
  publishErrors = 0;
  /** ticks that found the gateway offline: not queued, so an outage does not build an unbounded backlog */
  skippedOffline = 0;
  commandsReceived = 0;
  commandsAnswered = 0;
  /** downlink messages that were not a valid command envelope (counted, not answered) */
  badCommands = 0;
  /** publish → PUBACK (QoS 1) or → written (QoS 0), ms */
  readonly ackLatency = new LatencyStats();
  /** command issuedAt → received by the gateway, ms (wall clocks of one machine; a broadcast's spread) */
  readonly commandLatency = new LatencyStats();
  /** Date.now() when the last command arrived (0 = none): "every gateway had it by" for a broadcast */
  lastCommandAt = 0;
  /** reading timestamp → seen by the observer subscriber, ms (only with `observe`) */
  readonly e2eLatency = new LatencyStats();
  observed = 0;
}

export interface FleetReport {
  gateways: number;
  /** gateways connected when the report was taken */
  connected: number;
  elapsedMs: number;
  connects: number;
  reconnects: number;
  connectErrors: number;
  disconnects: number;
  subscribed: number;
  statusAcked: number;
  published: number;
  acked: number;
  publishErrors: number;
  skippedOffline: number;
  /** acknowledged publishes per second over elapsedMs (the window after markWindow, if called) */
  ackedPerSec: number;
  commandsReceived: number;
  commandsAnswered: number;
  badCommands: number;
  /** command issuedAt → received, over every command received (all zeros when none) */
  commandLatencyMs: Percentiles;
  /** epoch ms when the last command arrived, 0 when none did */
  lastCommandAt: number;
  ackLatencyMs: Percentiles;
  e2eLatencyMs?: Percentiles & { observed: number };
  /** resident set size of the simulator process, bytes */
  rssBytes: number;
}

export function reportOf(stats: FleetStats, gateways: number, connected: number, elapsedMs: number, observe: boolean): FleetReport {
  const r: FleetReport = {
    gateways,
    connected,
    elapsedMs: Math.round(elapsedMs),
    connects: stats.connects,
    reconnects: stats.reconnects,
    connectErrors: stats.connectErrors,
    disconnects: stats.disconnects,
    subscribed: stats.subscribed,
    statusAcked: stats.statusAcked,
    published: stats.published,
    acked: stats.acked,
    publishErrors: stats.publishErrors,
    skippedOffline: stats.skippedOffline,
    ackedPerSec: elapsedMs > 0 ? Math.round((stats.acked * 1000) / elapsedMs) : 0,
    commandsReceived: stats.commandsReceived,
    commandsAnswered: stats.commandsAnswered,
    badCommands: stats.badCommands,
    commandLatencyMs: stats.commandLatency.percentiles(),
    lastCommandAt: stats.lastCommandAt,
    ackLatencyMs: stats.ackLatency.percentiles(),
    rssBytes: process.memoryUsage().rss,
  };
  if (observe) r.e2eLatencyMs = { ...stats.e2eLatency.percentiles(), observed: stats.observed };
  return r;
}
