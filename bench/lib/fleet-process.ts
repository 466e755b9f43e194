/**
 * `causeway-sim fleet` in a child process, as an operator runs it, for benchmarks that need more
 * connections than one process may hold (20,000 descriptors each on the benchmark machine). The child's
 * JSON lines (progress every `reportEveryS`, `connected`, the final `report`) are parsed as they come;
 * every child is SIGKILLed when this process exits, so none is left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FleetReport } from '@causeway/sim/fleet/fleet-stats.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface FleetProcessOptions {
  urls: readonly string[];
  gateways: number;
  /** telemetry per second per gateway; 0 = idle gateways (hold the connection, answer commands) */
  rateHz: number;
  qos?: 0 | 1;
  idPrefix: string;
  /** first source address index (sourceAddress(offset + i)); give each fleet process its own range */
  addressOffset: number;
  connectRatePerSec: number;
  reportEveryS?: number;
  /** stop by itself this long after every gateway connected, with a final report; default: until stop() */
  durationS?: number;
  /** the child gives up (final report, exit) when not every gateway connected within this; default 120 */
  connectTimeoutS?: number;
}

/** A progress line of `causeway-sim fleet` (the report without the latency objects, plus a few p50/p99). */
export type FleetProgress = Omit<FleetReport, 'ackLatencyMs' | 'commandLatencyMs' | 'e2eLatencyMs'> & {
  ackP50Ms: number;
  ackP99Ms: number;
  commandP50Ms: number;
  commandP99Ms: number;
};

export interface FleetProcess {
  readonly pid: number;
  /** the last progress line, undefined before the first */
  latest(): FleetProgress | undefined;
  /** Date.now() of the child's `connected` line (every gateway connected once), undefined before */
  connectedAt(): number | undefined;
  /** resolves with the final report when the child exits by itself (durationS) or after stop() */
  readonly done: Promise<FleetReport | undefined>;
  /** SIGTERM (clean disconnects, final report), SIGKILL after `graceMs` */
  stop(graceMs?: number): Promise<FleetReport | undefined>;
  /** SIGKILL at once: thousands of clean disconnects are not what is being measured */
  kill(): Promise<void>;
  exited(): boolean;
  /** the last ~3,000 characters of the child's stderr and non-JSON stdout, to explain a failure */
  output(): string;
}

const live = new Set<ChildProcess>();
let hookInstalled = false;

function installHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  process.on('exit', () => {
    for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
}

/** The argv of `causeway-sim fleet` for these options (pure, for tests). */
export function fleetArgs(o: FleetProcessOptions): string[] {
  return [
    'fleet',
    '--url', o.urls.join(','),
    '--gateways', String(o.gateways),
    '--rate', String(o.rateHz),
    '--qos', String(o.qos ?? 1),
    '--id-prefix', o.idPrefix,
    '--address-offset', String(o.addressOffset),
    '--connect-rate', String(o.connectRatePerSec),
    '--report-every', String(o.reportEveryS ?? 1),
    ...(o.durationS === undefined ? [] : ['--duration', String(o.durationS)]),
    ...(o.connectTimeoutS === undefined ? [] : ['--connect-timeout', String(o.connectTimeoutS)]),
  ];
}

/**
 * Starts the simulator from its TypeScript source (through tsx, so it is the code in the tree, whatever
 * dist/ holds), with a heap large enough for ~18,000 MQTT.js clients.
 */
export function startFleetProcess(o: FleetProcessOptions): FleetProcess {
  installHook();
  const child = spawn(process.execPath, ['--max-old-space-size=4096', '--import', 'tsx', join(repoRoot, 'firmware-sim', 'src', 'main.ts'), ...fleetArgs(o)], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let latest: FleetProgress | undefined;
  let connectedAt: number | undefined;
  let report: FleetReport | undefined;
  let output = '';
  const keep = (s: string): void => {
    output = (output + s).slice(-3000);
  };
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let ev: { event?: string; ts?: number } & Record<string, unknown>;
      try {
        ev = JSON.parse(line) as typeof ev;
      } catch {
        keep(`${line}\n`);
        continue;
      }
      if (ev.event === 'progress') latest = ev as unknown as FleetProgress;
      else if (ev.event === 'connected') connectedAt = ev.ts;
      else if (ev.event === 'report') report = ev as unknown as FleetReport;
    }
  });
  child.stderr!.on('data', (d: Buffer) => keep(d.toString('utf8')));
  let exited = false;
  const done = new Promise<FleetReport | undefined>((res) => {
    child.once('exit', () => {
      exited = true;
      live.delete(child);
      res(report);
    });
  });
  const stop = async (graceMs = 60_000): Promise<FleetReport | undefined> => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await done;
      clearTimeout(timer);
    }
    return report;
  };
  return {
    pid: child.pid ?? -1,
    latest: () => latest,
    connectedAt: () => connectedAt,
    done,
    stop,
    async kill() {
      if (!exited) child.kill('SIGKILL');
      await done;
    },
    exited: () => exited,
    output: () => output,
  };
}

/** Splits `total` gateways over processes of at most `perProcess` each, as evenly as possible. */
export function splitFleet(total: number, perProcess: number): number[] {
  if (!Number.isSafeInteger(total) || total < 1) throw new RangeError(`total must be a whole number ≥ 1, got ${total}`);
  if (!Number.isSafeInteger(perProcess) || perProcess < 1) throw new RangeError(`perProcess must be a whole number ≥ 1, got ${perProcess}`);
  const n = Math.ceil(total / perProcess);
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
}
