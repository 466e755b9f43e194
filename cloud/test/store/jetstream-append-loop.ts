/**
 * Child process for the JetStream kill -9 test: appends in a loop with several appends in flight and
 * prints `id i offsetsJSON` for each append ONLY after it resolved (after the JetStream publish ack).
 * Failed appends (server down) are retried with the same dedupe key, as a publisher would resend.
 *
 * Usage: node --import tsx jetstream-append-loop.ts <natsUrl> <prefix> <startIndex>
 * Bounded: stops by itself after 50,000 appends or 30 s, whichever comes first.
 */
import { propertiesFor } from '@causeway/shared';
import { openJetStreamStore } from '../../src/store/jetstream/jetstream-store.js';

const [url, prefix, startArg] = process.argv.slice(2);
if (url === undefined || prefix === undefined) throw new Error('usage: jetstream-append-loop.ts <natsUrl> <prefix> <startIndex>');
const store = await openJetStreamStore({ servers: url, prefix, timeoutMs: 2000 });
let next = Number(startArg ?? '0');
const stopAt = next + 50_000;
const deadline = Date.now() + 30_000;
const WORKERS = 16;

async function worker(): Promise<void> {
  while (next < stopAt && Date.now() < deadline) {
    const i = next++;
    const topic = `telemetry/gw1/dev${i % 7}/temp`;
    for (;;) {
      if (Date.now() > deadline) return;
      try {
        const r = await store.log.append(
          { topic, payload: Buffer.from(`reading-${i}-`.padEnd(256, 'x')), qos: 1, retain: false, properties: propertiesFor(topic), createdAt: Date.now() },
          ['q:telemetry', `t:${topic}`],
          { dedupeKey: `gw1:${i}` },
        );
        // a retry of an append whose ack was lost: it is in the log, but this process never saw its offsets
        if (!r.duplicate) process.stdout.write(`${r.id} ${i} ${JSON.stringify(r.offsets)}\n`);
        break;
      } catch {
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  }
}

process.stdout.write('ready\n');
await Promise.all(Array.from({ length: WORKERS }, () => worker()));
await store.close();
