import { CausewayError } from '@causeway/shared';
import { startSlcanAdapter } from '../can/slcan-adapter.js';
import { BATTERY_DBC, VEHICLE_PROFILES } from '../can/vehicle-profile.js';
import { numberArg, parseArgs } from './parse-args.js';

export const CAN_USAGE = `causeway-sim can --profile city-bus|idle --link PATH [--device-link PATH] [--rate 10] [--bad-every N] | causeway-sim can --print-dbc`;

const emit = (ev: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify({ ts: Date.now(), ...ev }) + '\n');
};

/** A simulated SLCAN adapter on a vehicle's bus (J1939 + OBD-II responder) on a PTY until SIGTERM. */
export async function canCommand(argv: string[]): Promise<number> {
  if (argv.includes('--print-dbc')) {
    process.stdout.write(BATTERY_DBC);
    return 0;
  }
  const args = parseArgs(argv, ['profile', 'link', 'device-link', 'rate', 'bad-every']);
  const profile = VEHICLE_PROFILES[args.profile ?? ''];
  if (profile === undefined) throw new CausewayError('USAGE', `--profile must be one of ${Object.keys(VEHICLE_PROFILES).join(', ')}, got "${args.profile ?? ''}"`);
  if (args.link === undefined) throw new CausewayError('USAGE', '--link PATH is required (the PTY the agent opens)');
  const badEvery = numberArg(args, 'bad-every', { min: 1, integer: true });
  const adapter = await startSlcanAdapter({
    link: args.link,
    profile,
    rate: numberArg(args, 'rate', { min: 0.01 }) ?? 10,
    ...(args['device-link'] === undefined ? {} : { deviceLink: args['device-link'] }),
    ...(badEvery === undefined ? {} : { badEvery }),
  });
  emit({ event: 'listening', transport: 'slcan', address: adapter.address, profile: args.profile });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await adapter.stop();
  emit({ event: 'summary', ...adapter.stats });
  return 0;
}
