import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFaultProxy, type FaultProxy } from '@causeway/sim/fault-proxy/fault-proxy.js';
import type { Agent } from './agent.js';
import { startCollector, type Collector } from './collector.js';
import { startMosquitto, type Mosquitto } from './mosquitto.js';

/** The rig of one suite, from `forwardRig`; its fields are set once the suite's `before` ran. */
export interface ForwardRig {
  /** a temp dir for the agents' files, removed at the end */
  readonly dir: string;
  /** the real mosquitto the agents forward to */
  readonly broker: Mosquitto;
  /** a subscriber on the broker collecting what arrives */
  readonly sub: Collector;
  /** the fault proxy in front of the broker; only with `{ proxy: true }` */
  readonly proxy: FaultProxy;
  /** agents SIGKILLed when the suite ends (push the ones the suite starts) */
  readonly agents: Agent[];
  /** runs `close` when the suite ends, after the agents die and before the rig closes, in the order registered */
  closeFirst(close: () => unknown): void;
}

/**
 * Gives the calling describe block a mosquitto, a collector subscribed to it (on `filters`, the
 * collector's default without) and optionally a fault proxy in front of it, in a `before` hook, and
 * tears them down in an `after` hook: agents killed, what `closeFirst` registered, proxy, collector,
 * broker, dir. Mocha runs `after` hooks in registration order, so what must close before the rig goes
 * through `closeFirst` (one copy of the set-up, issue 14).
 */
export function forwardRig(name: string, opts: { proxy?: boolean; filters?: string[] } = {}): ForwardRig {
  let dir: string | undefined;
  let broker: Mosquitto | undefined;
  let sub: Collector | undefined;
  let proxy: FaultProxy | undefined;
  const agents: Agent[] = [];
  const closers: Array<() => unknown> = [];
  const set = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the forward rig has no ${what}${what === 'proxy' ? ' (pass { proxy: true })' : ' yet: use it inside the suite'}`);
    return value;
  };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), `edge-${name}-`));
    broker = await startMosquitto();
    if (opts.proxy === true) proxy = await startFaultProxy({ targetPort: broker.port });
    sub = await startCollector(broker.url, ...(opts.filters === undefined ? [] : [opts.filters]));
  });
  after(async () => {
    for (const a of agents) await a.kill('SIGKILL');
    for (const close of closers.splice(0)) await close();
    await proxy?.close();
    await sub?.close();
    await broker?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return set(dir, 'dir');
    },
    get broker() {
      return set(broker, 'broker');
    },
    get sub() {
      return set(sub, 'collector');
    },
    get proxy() {
      return set(proxy, 'proxy');
    },
    agents,
    closeFirst(close) {
      closers.push(close);
    },
  };
}
