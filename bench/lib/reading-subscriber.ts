/**
 * The cloud side of an edge benchmark: one MQTT.js subscriber that receives what a gateway forwards and
 * hands every reading, with its arrival time, to the benchmark. It understands the agent's batch
 * envelopes (CBOR or JSON, deflated or not: shared/src/codec) and the plain JSON readings the naive
 * forwarder publishes one per message.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { tryDecodeEnvelope } from '@causeway/shared';

export interface ArrivedReading {
  device: string;
  ts: number;
  value: unknown;
}

export interface ReadingSubscriber {
  /** messages received (batches or single readings), and payloads neither decoder understood */
  readonly stats: { messages: number; readings: number; undecodable: number };
  close(): Promise<void>;
}

/**
 * Subscribes `filter` at QoS 1 (clean session) and calls `onReading` for each reading in each message,
 * with `Date.now()` at arrival. Resolves once the SUBACK is in, so nothing published after is missed.
 */
export async function subscribeReadings(url: string, filter: string, protocolVersion: 4 | 5, onReading: (r: ArrivedReading, arrivedMs: number) => void): Promise<ReadingSubscriber> {
  const client: MqttClient = await mqtt.connectAsync(url, { clientId: `bench-sub-${process.pid}-${Date.now()}`, clean: true, protocolVersion, reconnectPeriod: 0, connectTimeout: 10_000 });
  const stats = { messages: 0, readings: 0, undecodable: 0 };
  client.on('message', (_topic, payload) => {
    const now = Date.now();
    stats.messages++;
    const res = tryDecodeEnvelope(payload);
    if (res.ok) {
      const env = res.envelope;
      if (env.type !== 'batch') return; // events, status: not readings
      for (const r of env.readings) {
        stats.readings++;
        onReading({ device: env.device, ts: r.ts, value: r.value }, now);
      }
      return;
    }
    try {
      const r = JSON.parse(payload.toString('utf8')) as Partial<ArrivedReading>;
      if (typeof r.device !== 'string' || typeof r.ts !== 'number') throw new Error('not a reading');
      stats.readings++;
      onReading({ device: r.device, ts: r.ts, value: r.value }, now);
    } catch {
      stats.undecodable++;
    }
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return { stats, close: () => client.endAsync(true) };
}
