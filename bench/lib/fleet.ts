import { prng } from '@causeway/shared';
/**
 * Deterministic, realistic Causeway fleet traffic for the matching benchmarks: subscription filters of
 * the shapes backend apps and gateways use, and topic names of the shapes gateways publish.
 */

/** mulberry32, shared with the simulated devices, so every run benchmarks the same data. */
export const seededRandom = prng;

export interface FleetShape {
  gateways: number;
  devicesPerGateway: number;
}

const STREAMS = ['temp', 'hum', 'pressure', 'vib', 'power'] as const;
const EVENTS = ['alarm', 'door', 'boot', 'fault'] as const;

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)]!;
}

/** `count` filters, weighted towards per-gateway telemetry and command subscriptions. */
export function fleetFilters(count: number, shape: FleetShape, seed = 1): string[] {
  const rnd = seededRandom(seed);
  const gw = (): string => `gw${Math.floor(rnd() * shape.gateways)}`;
  const dev = (): string => `dev${Math.floor(rnd() * shape.devicesPerGateway)}`;
  const makers: Array<[number, () => string]> = [
    [25, () => `telemetry/${gw()}/+/${pick(rnd, STREAMS)}`],
    [15, () => `telemetry/${gw()}/${dev()}/+`],
    [10, () => `telemetry/${gw()}/#`],
    [15, () => `cmd/${gw()}/#`],
    [10, () => `cmd/${gw()}/+/+`],
    [8, () => `+/${gw()}/#`],
    [5, () => `events/+/+/${pick(rnd, EVENTS)}`],
    [5, () => `telemetry/+/${dev()}/${pick(rnd, STREAMS)}`],
    [5, () => `config/${gw()}`],
    [2, () => 'status/+'],
  ];
  const total = makers.reduce((s, [w]) => s + w, 0);
  const out: string[] = ['#']; // one catch-all archiver, as most fleets have
  while (out.length < count) {
    let r = rnd() * total;
    for (const [w, make] of makers) {
      r -= w;
      if (r < 0) {
        out.push(make());
        break;
      }
    }
  }
  return out.slice(0, count);
}

/** `count` topic names as gateways publish them (no `$` topics: qlobber does not implement [MQTT-4.7.2-1]). */
export function fleetTopics(count: number, shape: FleetShape, seed = 2): string[] {
  const rnd = seededRandom(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const g = `gw${Math.floor(rnd() * shape.gateways)}`;
    const d = `dev${Math.floor(rnd() * shape.devicesPerGateway)}`;
    const r = rnd();
    if (r < 0.7) out.push(`telemetry/${g}/${d}/${pick(rnd, STREAMS)}`);
    else if (r < 0.8) out.push(`events/${g}/${d}/${pick(rnd, EVENTS)}`);
    else if (r < 0.85) out.push(`status/${g}`);
    else if (r < 0.9) out.push(`cmd-result/${g}/${d}/c${i}`);
    else if (r < 0.95) out.push(`cmd/${g}/${d}/c${i}`);
    else out.push(`config/${g}`);
  }
  return out;
}

/** Edge cases where matchers commonly disagree; both must agree on them before anything is timed. */
export const EDGE_PAIRS: ReadonlyArray<readonly [filter: string, topic: string]> = [
  ['a/#', 'a'], // parent level [MQTT-4.7.1-2]
  ['a/#', 'a/'],
  ['a/+/c', 'a//c'], // empty level [MQTT-4.7.1-3]
  ['+/+', '/'],
  ['#', '/'],
  ['+', 'a/b'],
  ['a/+', 'a'],
  ['a/b', 'a/b/'],
  ['/+', '/x'],
  ['+/b/#', 'x/b'],
  ['telemetry/+/+/temp', 'telemetry/gw1/dev1/temperature'],
  ['telemetry/+/+/temp', 'telemetry/gw1/dev1/temp'],
];
