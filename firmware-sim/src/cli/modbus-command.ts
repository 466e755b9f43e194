import { CausewayError } from '@causeway/shared';
import { MODBUS_PROFILES } from '../modbus/cabinet-profile.js';
import { startModbusRtuSlave, startModbusTcpSlave, type RunningSlave } from '../modbus/modbus-slave.js';
import type { RegisterBank } from '../modbus/register-bank.js';
import { parseExceptions, type SlaveFaults } from '../modbus/slave-faults.js';
import { numberArg, parseArgs } from './parse-args.js';

export const MODBUS_USAGE = `causeway-sim modbus --profile roadside-cabinet (--tcp-port N [--host H] | --link PATH [--device-link PATH])
      [--units 1-8 | 1,2,5] [--dead 5,7] [--exception unit:address:code,…] [--delay-ms MS] [--bad-crc-every N]`;

function unitList(s: string, key: string): number[] {
  const out: number[] = [];
  for (const part of s.split(',').filter((x) => x !== '')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (m === null) throw new CausewayError('USAGE', `--${key} must be unit ids like 1-8 or 1,2,5, got "${s}"`);
    for (let u = Number(m[1]); u <= Number(m[2] ?? m[1]); u++) out.push(u);
  }
  if (out.some((u) => u > 255)) throw new CausewayError('USAGE', `--${key}: unit ids are 0–255`);
  return out;
}

const emit = (ev: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify({ ts: Date.now(), ...ev }) + '\n');
};

/** Simulated Modbus slaves (TCP or RTU on a PTY) until SIGTERM; prints `listening`, then a summary. */
export async function modbusCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ['profile', 'tcp-port', 'host', 'link', 'device-link', 'units', 'dead', 'exception', 'delay-ms', 'bad-crc-every']);
  const profile = MODBUS_PROFILES[args.profile ?? ''];
  if (profile === undefined) throw new CausewayError('USAGE', `--profile must be one of ${Object.keys(MODBUS_PROFILES).join(', ')}, got "${args.profile ?? ''}"`);
  if ((args['tcp-port'] === undefined) === (args.link === undefined)) throw new CausewayError('USAGE', 'give exactly one of --tcp-port N or --link PATH');
  const banks = new Map<number, RegisterBank>(unitList(args.units ?? '1', 'units').map((u) => [u, profile.bank(u)]));
  let exceptions: SlaveFaults['exceptions'];
  try {
    exceptions = args.exception === undefined ? undefined : parseExceptions(args.exception);
  } catch (err) {
    throw new CausewayError('USAGE', `--exception: ${(err as Error).message}`);
  }
  const delayMs = numberArg(args, 'delay-ms', { min: 0 });
  const badCrcEvery = numberArg(args, 'bad-crc-every', { min: 1, integer: true });
  const faults: SlaveFaults = {
    ...(args.dead === undefined ? {} : { dead: new Set(unitList(args.dead, 'dead')) }),
    ...(exceptions === undefined ? {} : { exceptions }),
    ...(delayMs === undefined ? {} : { delayMs }),
    ...(badCrcEvery === undefined ? {} : { badCrcEvery }),
  };
  let slave: RunningSlave;
  if (args.link !== undefined) {
    slave = await startModbusRtuSlave({ banks, faults, link: args.link, ...(args['device-link'] === undefined ? {} : { deviceLink: args['device-link'] }) });
  } else {
    slave = await startModbusTcpSlave({ banks, faults, port: numberArg(args, 'tcp-port', { min: 0, integer: true })!, ...(args.host === undefined ? {} : { host: args.host }) });
  }
  emit({ event: 'listening', transport: args.link === undefined ? 'tcp' : 'rtu', address: slave.address, units: [...banks.keys()] });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await slave.stop();
  emit({ event: 'summary', ...slave.stats });
  return 0;
}
