/**
 * The footprint baseline: the smallest useful MQTT.js forwarder a team would write first. It reads
 * ReadingInput JSON lines from stdin and publishes each line as-is, one QoS 1 message per reading, on
 * telemetry/{gateway}/{device}/{stream}. No disk buffer, no batching, no compression, no validation
 * beyond JSON.parse: a reading that arrives while the link is down lives only in MQTT.js's in-memory
 * queue and is lost with the process. Prints "ready" on stdout once connected.
 *
 *   node naive-forwarder.js --url mqtt://127.0.0.1:1883 --gateway gw-naive
 *
 * edge-footprint.ts bundles it with esbuild and runs the bundle with plain node (no tsx loader in the
 * measured process, as there is none in the agent's).
 */
import { createInterface } from 'node:readline';
import mqtt from 'mqtt';

function flag(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

const url = flag('url', 'mqtt://127.0.0.1:1883');
const gateway = flag('gateway', 'gw-naive');
const client = mqtt.connect(url, { clientId: gateway, clean: true, protocolVersion: 4 });
let invalid = 0;
client.once('connect', () => process.stdout.write('ready\n'));
client.on('error', (err) => process.stderr.write(`naive-forwarder: ${err.message}\n`));

createInterface({ input: process.stdin, crlfDelay: Infinity }).on('line', (line) => {
  try {
    const r = JSON.parse(line) as { device: string; stream: string };
    client.publish(`telemetry/${gateway}/${r.device}/${r.stream}`, line, { qos: 1 });
  } catch {
    invalid++;
  }
});

function stop(): void {
  client.end(false, {}, () => process.exit(invalid > 0 ? 1 : 0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
