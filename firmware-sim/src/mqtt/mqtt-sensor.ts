import mqtt from 'mqtt';
import type { DeviceProfile, DeviceState } from '../profiles/profile.js';
import { answerCommand } from '../devices/commands.js';

export interface MqttSensorOptions {
  profile: DeviceProfile;
  url: string;
  /** `{device}` is replaced by the device id */
  topic: string;
  device: string;
  rateHz: number;
  seed?: number;
  noise?: number;
  count?: number;
  qos?: 0 | 1;
  /** commands arrive here (`{device}` replaced) and are answered like a serial device would */
  commandTopic?: string;
  /** answers (`>ok …` / `>err …`) go here */
  replyTopic?: string;
  emit: (ev: Record<string, unknown>) => void;
}

export interface MqttSensor {
  /** resolves when `count` messages are published (and acknowledged at QoS 1) */
  readonly done: Promise<number>;
  stop(): Promise<number>;
}

/**
 * A sensor that publishes to a broker itself (Zigbee2MQTT/Tasmota style): one message per tick, the
 * profile's first line as payload (JSON for the thermometer), on `topic`.
 */
export function startMqttSensor(o: MqttSensorOptions): MqttSensor {
  const client = mqtt.connect(o.url, { reconnectPeriod: 500, clientId: `sim-${o.device}-${process.pid}` });
  const topic = o.topic.replaceAll('{device}', o.device);
  let st: DeviceState = { intervalMs: Math.max(1, Math.round(1000 / o.rateHz)), relay: false, seq: 0 };
  let published = 0;
  let timer: NodeJS.Timeout | null = null;
  let resolveDone!: (n: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  const commands = o.commandTopic?.replaceAll('{device}', o.device);
  const replies = o.replyTopic?.replaceAll('{device}', o.device);
  client.on('message', (t, payload) => {
    if (t !== commands) return;
    const r = answerCommand(payload.toString('utf8'), st);
    st = r.state;
    o.emit({ event: 'command', line: payload.toString('utf8'), reply: r.reply });
    if (r.reply !== null && replies !== undefined) client.publish(replies, r.reply, { qos: 0 });
  });
  client.on('connect', () => {
    o.emit({ event: 'connected', url: o.url, topic });
    if (commands !== undefined) client.subscribe(commands, { qos: 1 });
    if (timer) return;
    timer = setInterval(() => {
      if (o.count !== undefined && st.seq >= o.count) return;
      const seq = st.seq;
      st = { ...st, seq: seq + 1 };
      const [line] = o.profile.lines(seq, o.seed ?? 1, o.noise ?? 0, st);
      client.publish(topic, line ?? '', { qos: o.qos ?? 0 }, (err) => {
        if (err) return;
        published++;
        if (o.count !== undefined && published >= o.count) {
          o.emit({ event: 'done', published });
          resolveDone(published);
        }
      });
    }, st.intervalMs);
  });
  client.on('error', (err) => o.emit({ event: 'error', message: err.message }));
  return {
    done,
    async stop() {
      if (timer) clearInterval(timer);
      await new Promise<void>((r) => client.end(false, {}, () => r()));
      return published;
    },
  };
}
