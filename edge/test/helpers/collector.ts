import mqtt, { type MqttClient } from 'mqtt';
import { decodeEnvelope, sniffFormat, type Format, type Envelope, type EventEnvelope, type ReadingBatch } from '@causeway/shared';

/** A subscriber that decodes everything it receives, on a persistent session so nothing is missed. */
export interface Collector {
  client: MqttClient;
  batches: ReadingBatch[];
  events: EventEnvelope[];
  all: Array<{ topic: string; env: Envelope; retain: boolean; format: Format; bytes: number }>;
  /** every reading received, keyed `${device}/${stream}/${ts}` → batch ids it came in */
  readings: Map<string, Set<string>>;
  waitFor(pred: () => boolean, timeoutMs: number, what: string): Promise<void>;
  close(): Promise<void>;
}

export async function startCollector(url: string, filters: string[] = ['telemetry/#', 'events/#', 'status/#']): Promise<Collector> {
  const client = mqtt.connect(url, { clientId: `collector-${process.pid}-${Date.now()}`, clean: true, reconnectPeriod: 200 });
  const c: Collector = {
    client,
    batches: [],
    events: [],
    all: [],
    readings: new Map(),
    async waitFor(pred, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close() {
      await client.endAsync(true);
    },
  };
  client.on('message', (topic, payload, packet) => {
    const env = decodeEnvelope(payload);
    c.all.push({ topic, env, retain: packet.retain, format: sniffFormat(payload), bytes: payload.length });
    if (env.type === 'batch') {
      c.batches.push(env);
      for (const r of env.readings) {
        const k = `${env.device}/${env.stream}/${r.ts}`;
        const ids = c.readings.get(k) ?? new Set<string>();
        ids.add(env.id);
        c.readings.set(k, ids);
      }
    } else if (env.type === 'event') c.events.push(env);
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.subscribeAsync(Object.fromEntries(filters.map((f) => [f, { qos: 1 as const }])));
  return c;
}
