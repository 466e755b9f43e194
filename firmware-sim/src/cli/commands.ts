import { CausewayError } from '@causeway/shared';
import { startSerialDevice } from '../devices/serial-device.js';
import type { MisbehaviourOptions } from '../devices/misbehaviour.js';
import { startMqttSensor } from '../mqtt/mqtt-sensor.js';
import { PROFILES, type DeviceProfile } from '../profiles/index.js';
import { numberArg, parseArgs } from './parse-args.js';

export const USAGE = `causeway-sim serial --profile thermometer|vibration|gps|roadside-unit --link PATH [--rate HZ]
      [--seed N] [--noise X] [--count N] [--device-link PATH] [--wait-peer true] [--epoch MS (GPS time of fix 0; default: now)]
      [--garbage-every N] [--partial-every N] [--overlong-every N] [--overlong-bytes N]
      [--split-every N] [--burst-every N] [--burst-size N] [--vanish-every-ms MS] [--vanish-for-ms MS]
  causeway-sim mqtt --profile NAME --url mqtt://127.0.0.1:1883 [--topic sensors/{device}/state]
      [--device ID] [--rate HZ] [--seed N] [--noise X] [--count N] [--qos 0|1]
      [--command-topic sensors/{device}/cmd --reply-topic sensors/{device}/reply]
Events go to stdout as JSON lines; SIGUSR1 (serial) unplugs the port for --vanish-for-ms (default 1000).`;

const emit = (ev: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify({ ts: Date.now(), ...ev }) + '\n');
};

function profileArg(args: Record<string, string>): DeviceProfile {
  const p = PROFILES[args.profile ?? ''];
  if (p === undefined) throw new CausewayError('USAGE', `--profile must be one of ${Object.keys(PROFILES).join(', ')}, got "${args.profile ?? ''}"`);
  return p;
}

const untilSignal = (): Promise<void> =>
  new Promise((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });

export async function serialCommand(argv: string[]): Promise<number> {
  const mis = ['garbage-every', 'partial-every', 'overlong-every', 'overlong-bytes', 'split-every', 'burst-every', 'burst-size'] as const;
  const args = parseArgs(argv, ['profile', 'link', 'device-link', 'rate', 'seed', 'noise', 'count', 'vanish-every-ms', 'vanish-for-ms', 'wait-peer', 'epoch', ...mis]);
  const profile = profileArg(args);
  if (!args.link) throw new CausewayError('USAGE', '--link PATH is required (the path the edge opens)');
  const misbehave: MisbehaviourOptions = {};
  const camel = (k: string): string => k.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase());
  for (const k of mis) {
    const v = numberArg(args, k, { min: 1, integer: true });
    if (v !== undefined) (misbehave as Record<string, number>)[camel(k)] = v;
  }
  const opt = <K extends string>(k: K, v: number | undefined): Record<K, number> | Record<string, never> => (v === undefined ? {} : ({ [k]: v } as Record<K, number>));
  const vanishFor = numberArg(args, 'vanish-for-ms', { min: 0 }) ?? 1000;
  const dev = await startSerialDevice({
    profile,
    link: args.link,
    rateHz: numberArg(args, 'rate', { min: 0.001 }) ?? 1,
    misbehave,
    vanishForMs: vanishFor,
    waitPeer: args['wait-peer'] === 'true',
    emit,
    ...(args['device-link'] === undefined ? {} : { deviceLink: args['device-link'] }),
    ...opt('seed', numberArg(args, 'seed', { integer: true })),
    ...opt('noise', numberArg(args, 'noise', { min: 0 })),
    ...opt('count', numberArg(args, 'count', { min: 0, integer: true })),
    ...opt('epochMs', numberArg(args, 'epoch', { min: 0, integer: true })),
    ...opt('vanishEveryMs', numberArg(args, 'vanish-every-ms', { min: 1 })),
  });
  process.on('SIGUSR1', () => void dev.vanish(vanishFor));
  await untilSignal();
  const summary = await dev.stop();
  emit({ event: 'summary', ...summary });
  return 0;
}

export async function mqttCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ['profile', 'url', 'topic', 'device', 'rate', 'seed', 'noise', 'count', 'qos', 'command-topic', 'reply-topic']);
  const profile = profileArg(args);
  if (!args.url) throw new CausewayError('USAGE', '--url mqtt://HOST:PORT is required');
  const qos = numberArg(args, 'qos', { min: 0, integer: true }) ?? 0;
  if (qos > 1) throw new CausewayError('USAGE', '--qos must be 0 or 1');
  const count = numberArg(args, 'count', { min: 0, integer: true });
  const seed = numberArg(args, 'seed', { integer: true });
  const noise = numberArg(args, 'noise', { min: 0 });
  const sensor = startMqttSensor({
    profile,
    url: args.url,
    topic: args.topic ?? 'sensors/{device}/state',
    ...(args['command-topic'] === undefined ? {} : { commandTopic: args['command-topic'] }),
    ...(args['reply-topic'] === undefined ? {} : { replyTopic: args['reply-topic'] }),
    device: args.device ?? `${profile.name}-1`,
    rateHz: numberArg(args, 'rate', { min: 0.001 }) ?? 1,
    qos: qos as 0 | 1,
    emit,
    ...(count === undefined ? {} : { count }),
    ...(seed === undefined ? {} : { seed }),
    ...(noise === undefined ? {} : { noise }),
  });
  await Promise.race([untilSignal(), count === undefined ? new Promise(() => undefined) : sensor.done]);
  const published = await sensor.stop();
  emit({ event: 'summary', published });
  return 0;
}
