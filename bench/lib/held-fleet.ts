/**
 * A fleet of idle gateways held open by several `causeway-sim fleet` processes (each ≤ ~18,000
 * connections: 20,000 descriptors per process here), spread over one or more brokers, and one QoS 1
 * broadcast to all of them. Used by bench/scale-out.ts.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeEnvelope, type CommandEnvelope } from '@causeway/shared';
import { formatBytes, rssBytes } from './broker-footprint.js';
import { splitFleet, startFleetProcess, type FleetProcess } from './fleet-process.js';
import { rawConnect } from './raw-mqtt.js';

export interface HoldOptions {
  urls: readonly string[];
  total: number;
  perProcess: number;
  /** connects per second over all fleet processes */
  connectRatePerSec: number;
  idPrefix: string;
  /** first source address index; the processes take consecutive ranges from it */
  addressOffset?: number;
  timeoutMs: number;
  /** broker processes to watch (RSS in the progress line; a dead one ends the wait) */
  brokerPids: readonly number[];
  /** stop waiting when MemAvailable falls below this many bytes (other work shares the machine) */
  minAvailableBytes?: number;
  log?: (line: string) => void;
}

export interface HeldFleet {
  fleets: FleetProcess[];
  total: number;
  /** gateways connected at the last progress lines */
  held(): number;
  /** every gateway connected at least once */
  complete: boolean;
  /** spawn of the first fleet process → the last one's `connected` line (every CONNACK), or → the end of the wait */
  connectMs: number;
  /**
   * spawn → every gateway's downlink SUBACK and retained-status PUBACK seen (to the 1 s of the progress
   * lines): the broker has stored what each connect wrote, so nothing of the ramp is still queued
   */
  onlineMs: number;
  /** why the wait ended without every gateway connected */
  reason?: string;
  /** SIGKILL every fleet process (the brokers see the sockets close) */
  kill(): Promise<void>;
}

/** MemAvailable from /proc/meminfo, bytes; Infinity when unreadable. */
export function memAvailableBytes(meminfo?: string): number {
  try {
    const m = /^MemAvailable:\s+(\d+)\s+kB$/m.exec(meminfo ?? readFileSync('/proc/meminfo', 'utf8'));
    return m?.[1] === undefined ? Infinity : Number(m[1]) * 1024;
  } catch {
    return Infinity;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts the fleet processes and waits (bounded) until every gateway connected, a fleet or broker died,
 * nothing progressed for a minute, the timeout passed or memory ran low; resolves in every case, saying which.
 */
export async function holdFleet(o: HoldOptions): Promise<HeldFleet> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const sizes = splitFleet(o.total, o.perProcess);
  const t0 = Date.now();
  let offset = o.addressOffset ?? 0;
  const fleets = sizes.map((gateways, k) => {
    const f = startFleetProcess({
      urls: o.urls,
      gateways,
      rateHz: 0,
      idPrefix: `${o.idPrefix}${k}-`,
      addressOffset: offset,
      connectRatePerSec: Math.max(1, Math.round(o.connectRatePerSec / sizes.length)),
      connectTimeoutS: Math.ceil(o.timeoutMs / 1000) + 60,
    });
    offset += gateways;
    return f;
  });
  const held = (): number => fleets.reduce((s, f) => s + (f.latest()?.connected ?? 0), 0);
  const result: HeldFleet = { fleets, total: o.total, held, complete: false, connectMs: NaN, onlineMs: NaN, kill: async () => void (await Promise.all(fleets.map((f) => f.kill()))) };
  const minAvail = o.minAvailableBytes ?? 4 * 2 ** 30;
  let best = 0;
  let bestAt = Date.now();
  let lastLog = 0;
  for (;;) {
    await sleep(500);
    const now = Date.now();
    if (fleets.every((f) => f.connectedAt() !== undefined)) {
      const settled = fleets.every((f) => {
        const p = f.latest();
        return p !== undefined && p.subscribed >= p.gateways && p.statusAcked >= p.gateways;
      });
      if (settled) {
        result.complete = true;
        result.connectMs = Math.max(...fleets.map((f) => f.connectedAt()!)) - t0;
        result.onlineMs = now - t0;
        return result;
      }
    }
    const h = held();
    if (h > best) {
      best = h;
      bestAt = now;
    }
    const dead = fleets.find((f) => f.exited());
    const deadBroker = o.brokerPids.find((p) => !alive(p));
    const avail = memAvailableBytes();
    if (dead !== undefined) result.reason = `a fleet process exited: ${dead.output().trim().split('\n').slice(-3).join(' / ')}`;
    else if (deadBroker !== undefined) result.reason = `broker pid ${deadBroker} exited`;
    else if (avail < minAvail) result.reason = `stopped at ${h.toLocaleString('en-US')}: MemAvailable ${formatBytes(avail)} < ${formatBytes(minAvail)}`;
    else if (now - bestAt > 60_000) result.reason = `no progress for 60 s at ${h.toLocaleString('en-US')} connected`;
    else if (now - t0 > o.timeoutMs) result.reason = `${h.toLocaleString('en-US')} connected after ${o.timeoutMs} ms`;
    if (result.reason !== undefined) {
      result.connectMs = now - t0;
      return result;
    }
    if (now - lastLog >= 5000) {
      lastLog = now;
      const total = (k: 'connectErrors' | 'subscribed' | 'statusAcked'): number => fleets.reduce((s, f) => s + (f.latest()?.[k] ?? 0), 0);
      log(`    ${((now - t0) / 1000).toFixed(0)} s: ${h.toLocaleString('en-US')}/${o.total.toLocaleString('en-US')} connected, ${total('subscribed')} subscribed, ${total('statusAcked')} statuses stored, ${total('connectErrors')} connect errors; broker RSS ${o.brokerPids.map((p) => formatBytes(rssBytes(p))).join(', ')}; MemAvailable ${formatBytes(avail)}`);
    }
  }
}

export interface BroadcastResult {
  expected: number;
  /** gateways that got the command before the timeout */
  reached: number;
  /** command issuedAt → PUBACK to the publisher, ms */
  pubackMs: number;
  /** command issuedAt → the last gateway got it (its own clock: same machine), ms; NaN when not all did */
  allMs: number;
  /** command issuedAt → the last of the `reached` gateways got it, ms (all or not) */
  lastMs: number;
  /** the slowest fleet process's p50 / p99 of issuedAt → received, ms */
  p50Ms: number;
  p99Ms: number;
  /** gateways whose SUCCEEDED command-result was acknowledged (QoS 1) when the wait ended */
  answered: number;
  /** issuedAt → every answer acknowledged, ms at the 1 s granularity of the progress lines; NaN when not */
  answeredMs: number;
}

/**
 * Publishes one command, QoS 1, on `cmd-all/{id}` (every simulated gateway subscribes to `cmd-all/+`, as
 * causeway-edge does) through the broker at 127.0.0.1:`port`, and waits (bounded) until every gateway
 * got it and then until every gateway's answer was acknowledged.
 */
export async function broadcastAll(o: { port: number; fleets: readonly FleetProcess[]; expected: number; timeoutMs: number; protocolVersion?: 4 | 5 }): Promise<BroadcastResult> {
  const sum = (k: 'commandsReceived' | 'commandsAnswered'): number => o.fleets.reduce((s, f) => s + (f.latest()?.[k] ?? 0), 0);
  const before = { received: sum('commandsReceived'), answered: sum('commandsAnswered') };
  const publisher = await rawConnect({ host: '127.0.0.1', port: o.port, clientId: `bench-broadcast-${process.pid}`, clean: true, protocolVersion: o.protocolVersion ?? 4, keepalive: 900 });
  try {
    const id = `bc${Date.now().toString(36)}`;
    const issuedAt = Date.now();
    const cmd: CommandEnvelope = { v: 1, type: 'command', id, name: 'ping', args: {}, issuedAt, expiresAt: issuedAt + 3_600_000 };
    await publisher.publish(`cmd-all/${id}`, encodeEnvelope(cmd), 1);
    const pubackMs = Date.now() - issuedAt;
    const deadline = issuedAt + o.timeoutMs;
    let reached = 0;
    while (Date.now() < deadline && (reached = sum('commandsReceived') - before.received) < o.expected) await sleep(200);
    const lastMs = reached > 0 ? Math.max(...o.fleets.map((f) => f.latest()?.lastCommandAt ?? 0)) - issuedAt : NaN;
    const allMs = reached >= o.expected ? lastMs : NaN;
    // Answers: until every gateway that got the command answered, or the deadline (read at least once).
    let answered = sum('commandsAnswered') - before.answered;
    let answeredMs = answered >= reached && reached > 0 ? Date.now() - issuedAt : NaN;
    while (Number.isNaN(answeredMs) && Date.now() < deadline) {
      await sleep(200);
      answered = sum('commandsAnswered') - before.answered;
      if (answered >= reached) answeredMs = Date.now() - issuedAt;
    }
    const p = o.fleets.map((f) => f.latest()).filter((x) => x !== undefined);
    return { expected: o.expected, reached, pubackMs, allMs, lastMs, p50Ms: Math.max(...p.map((x) => x.commandP50Ms)), p99Ms: Math.max(...p.map((x) => x.commandP99Ms)), answered, answeredMs };
  } finally {
    publisher.destroy();
  }
}
