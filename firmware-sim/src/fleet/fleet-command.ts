import { CausewayError } from '@causeway/shared';
import { numberArg, parseArgs } from '../cli/parse-args.js';
import { type FleetOptions, startFleet } from './run-fleet.js';

export const FLEET_USAGE = `causeway-sim fleet --url mqtt://127.0.0.1:1883[,mqtt://127.0.0.1:1884] --gateways N
      [--rate HZ per gateway, default 1] [--devices N] [--qos 0|1] [--duration S (default: until SIGTERM)]
      [--connect-rate PER_S] [--spread-addresses true|false] [--address-offset N] [--observe true|false] [--report-every S]
      [--connect-timeout S (default 120; past it the fleet reports and exits with an error)]
      [--id-prefix gw-] [--username U] [--password P]
--username may hold {id}, replaced by each gateway's id (a registry whose gateways share one secret).
Each gateway is one MQTT connection from its own 127.x.y.z (gateway i from the (offset+i)-th, so several
fleet processes with different --address-offset never share one); progress and the final report (throughput,
ack and end-to-end latency percentiles, reconnects, memory) go to stdout as JSON lines.`;

const emit = (ev: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify({ ts: Date.now(), ...ev }) + '\n');
};

function boolArg(args: Record<string, string>, key: string): boolean | undefined {
  const v = args[key];
  if (v === undefined) return undefined;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new CausewayError('USAGE', `--${key} must be true or false, got "${v}"`);
}

/** Parses `causeway-sim fleet …` into FleetOptions (pure, for tests). */
export function fleetOptionsFrom(argv: readonly string[]): FleetOptions & { durationS?: number; reportEveryS: number; connectTimeoutS: number } {
  const args = parseArgs(argv, ['url', 'gateways', 'rate', 'devices', 'qos', 'duration', 'connect-rate', 'spread-addresses', 'address-offset', 'connect-timeout', 'observe', 'report-every', 'id-prefix', 'username', 'password']);
  if (!args.url) throw new CausewayError('USAGE', '--url mqtt://HOST:PORT is required (comma-separated for several nodes)');
  const urls = args.url.split(',').map((u) => u.trim()).filter((u) => u !== '');
  const gateways = numberArg(args, 'gateways', { min: 1, integer: true });
  if (gateways === undefined) throw new CausewayError('USAGE', '--gateways N is required');
  const qos = numberArg(args, 'qos', { min: 0, integer: true }) ?? 1;
  if (qos > 1) throw new CausewayError('USAGE', '--qos must be 0 or 1');
  const o: FleetOptions & { durationS?: number; reportEveryS: number; connectTimeoutS: number } = {
    url: urls[0]!,
    urls,
    gateways,
    qos: qos as 0 | 1,
    reportEveryS: numberArg(args, 'report-every', { min: 0.1 }) ?? 5,
    connectTimeoutS: numberArg(args, 'connect-timeout', { min: 1 }) ?? 120,
  };
  const rate = numberArg(args, 'rate', { min: 0 });
  if (rate !== undefined) o.rateHz = rate;
  const devices = numberArg(args, 'devices', { min: 1, integer: true });
  if (devices !== undefined) o.devices = devices;
  const duration = numberArg(args, 'duration', { min: 0 });
  if (duration !== undefined) o.durationS = duration;
  const connectRate = numberArg(args, 'connect-rate', { min: 1 });
  if (connectRate !== undefined) o.connectRatePerSec = connectRate;
  const spread = boolArg(args, 'spread-addresses');
  if (spread !== undefined) o.spreadSourceAddresses = spread;
  const addressOffset = numberArg(args, 'address-offset', { min: 0, integer: true });
  if (addressOffset !== undefined) o.addressOffset = addressOffset;
  const observe = boolArg(args, 'observe');
  if (observe !== undefined) o.observe = observe;
  if (args['id-prefix'] !== undefined) o.idPrefix = args['id-prefix'];
  if (args.username !== undefined) o.username = args.username;
  if (args.password !== undefined) o.password = args.password;
  return o;
}

/** `causeway-sim fleet`: runs until --duration after all connected, or SIGTERM/SIGINT; exit 0. */
export async function fleetCommand(argv: string[]): Promise<number> {
  const o = fleetOptionsFrom(argv);
  const fleet = startFleet(o);
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const progress = setInterval(() => {
    const { ackLatencyMs, commandLatencyMs, ...r } = fleet.report();
    emit({ event: 'progress', ...r, ackP50Ms: ackLatencyMs.p50, ackP99Ms: ackLatencyMs.p99, commandP50Ms: commandLatencyMs.p50, commandP99Ms: commandLatencyMs.p99 });
  }, o.reportEveryS * 1000);
  try {
    await Promise.race([fleet.allConnected(o.connectTimeoutS * 1000).then(() => emit({ event: 'connected', gateways: o.gateways })), stopped]);
    fleet.markWindow();
    await Promise.race([stopped, o.durationS === undefined ? new Promise(() => undefined) : new Promise((r) => setTimeout(r, o.durationS! * 1000))]);
  } finally {
    clearInterval(progress);
    emit({ event: 'report', ...(await fleet.stop()) });
  }
  return 0;
}
