import { type TcpNetConnectOpts, createConnection } from 'node:net';
import { MqttClient } from 'mqtt';
import { encodeEnvelope, tryDecodeEnvelope, type CommandResultEnvelope, type ReadingBatch, type StatusEnvelope, downlinkFilters, formatTopic, tryParseTopic, backoffDelay } from '@causeway/shared';
import type { FleetStats } from './fleet-stats.js';

export interface SimGatewayOptions {
  /** gateway id (a valid Causeway id), also the MQTT client id */
  id: string;
  /** brokers to try, first one first; after a lost or failed connection the next one (failover) */
  targets: { host: string; port: number }[];
  /** source address of its TCP connections (a 127.x.y.z); omitted = the OS picks */
  localAddress?: string;
  /** devices behind the gateway; telemetry rotates over them */
  devices: number;
  /** telemetry publishes per second (0 = none, just hold the connection and answer commands) */
  rateHz: number;
  qos: 0 | 1;
  keepaliveS: number;
  reconnect: { baseMs: number; maxMs: number };
  username?: string;
  password?: string;
  stats: FleetStats;
  random: () => number;
  /** called for each acknowledged telemetry publish (tests check nothing acknowledged is lost) */
  onAcked?: (gatewayId: string, batchId: string) => void;
}

/**
 * One simulated gateway speaking the wire contract over one MQTT connection: status online/offline (last
 * will, retained), telemetry batches at a rate, and commands on its downlink answered with a SUCCEEDED
 * command-result. Reconnects itself with full-jitter backoff (MQTT.js's fixed period would bring a whole
 * fleet back in lockstep after a broker restart).
 */
export class SimGateway {
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private everConnected = false;
  private stopped = false;
  private seq = 0;
  private target = 0;
  connected = false;

  constructor(private readonly o: SimGatewayOptions) {}

  start(): void {
    const { o } = this;
    const offline: StatusEnvelope = { v: 1, type: 'status', gateway: o.id, online: false, ts: Date.now() };
    const options: ConstructorParameters<typeof MqttClient>[1] = {
      clientId: o.id,
      protocolVersion: 4,
      clean: true,
      keepalive: o.keepaliveS,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      resubscribe: true,
      will: { topic: formatTopic({ kind: 'status', gateway: o.id }), payload: encodeEnvelope(offline), qos: 1, retain: true },
    };
    if (o.username !== undefined) options.username = o.username;
    if (o.password !== undefined) options.password = o.password;
    const client = new MqttClient(() => {
      const t = o.targets[this.target % o.targets.length]!;
      const opts: TcpNetConnectOpts = { host: t.host, port: t.port };
      if (o.localAddress !== undefined) opts.localAddress = o.localAddress;
      return createConnection(opts);
    }, options);
    this.client = client;
    client.on('connect', () => this.onConnect());
    client.on('close', () => this.onClose());
    client.on('error', () => {
      if (!this.connected) o.stats.connectErrors++;
    });
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    // Spread the ticks of a fleet over the period instead of every gateway firing together.
    if (o.rateHz > 0) {
      const period = 1000 / o.rateHz;
      setTimeout(() => {
        if (!this.stopped) this.timer = setInterval(() => this.tick(), period);
      }, o.random() * period).unref();
    }
  }

  private onConnect(): void {
    const { o } = this;
    this.connected = true;
    this.attempt = 0;
    o.stats.connects++;
    if (this.everConnected) o.stats.reconnects++;
    this.everConnected = true;
    const online: StatusEnvelope = { v: 1, type: 'status', gateway: o.id, online: true, ts: Date.now() };
    this.client!.publish(formatTopic({ kind: 'status', gateway: o.id }), encodeEnvelope(online), { qos: 1, retain: true }, (err) => {
      if (!err) o.stats.statusAcked++;
    });
    this.client!.subscribe(downlinkFilters(o.id), { qos: 1 }, (err) => {
      if (!err) o.stats.subscribed++;
    });
  }

  private onClose(): void {
    if (this.connected) this.o.stats.disconnects++;
    this.connected = false;
    if (this.stopped || this.reconnectTimer !== undefined) return;
    // Behind no load balancer, a device that lost its node tries the next one.
    this.target++;
    const delay = backoffDelay(this.attempt++, (this.o.random ?? Math.random)(), { baseMs: this.o.reconnect.baseMs, capMs: this.o.reconnect.maxMs, minMs: 50 });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.stopped) this.client?.reconnect();
    }, delay);
  }

  private tick(): void {
    const { o } = this;
    if (!this.connected || this.client === undefined) {
      o.stats.skippedOffline++;
      return;
    }
    const seq = this.seq++;
    const device = `dev${seq % o.devices}`;
    const now = Date.now();
    const batch: ReadingBatch = {
      v: 1,
      type: 'batch',
      id: `${o.id}-${seq}`,
      gateway: o.id,
      device,
      stream: 'temp',
      readings: [{ seq, ts: now, value: Math.round((20 + 5 * Math.sin(seq / 10)) * 100) / 100, unit: 'Cel' }],
    };
    const started = performance.now();
    o.stats.published++;
    this.client.publish(formatTopic({ kind: 'telemetry', gateway: o.id, device, stream: 'temp' }), encodeEnvelope(batch), { qos: o.qos }, (err) => {
      if (err) {
        o.stats.publishErrors++;
        return;
      }
      o.stats.acked++;
      o.stats.ackLatency.add(performance.now() - started);
      o.onAcked?.(o.id, batch.id);
    });
  }

  private onMessage(topic: string, payload: Buffer): void {
    const { o } = this;
    const t = tryParseTopic(topic);
    if (t === undefined || (t.kind !== 'cmd' && t.kind !== 'cmd-all' && t.kind !== 'cmd-group')) return;
    o.stats.commandsReceived++;
    const decoded = tryDecodeEnvelope(payload);
    if (!decoded.ok || decoded.envelope.type !== 'command') {
      o.stats.badCommands++;
      return;
    }
    const cmd = decoded.envelope;
    const now = Date.now();
    o.stats.lastCommandAt = Math.max(o.stats.lastCommandAt, now);
    o.stats.commandLatency.add(now - cmd.issuedAt);
    const device = t.kind === 'cmd' ? t.device : (cmd.device ?? 'dev0');
    const result: CommandResultEnvelope = {
      v: 1,
      type: 'command-result',
      id: `${o.id}-r-${cmd.id}`,
      commandId: cmd.id,
      gateway: o.id,
      device,
      status: cmd.expiresAt !== undefined && cmd.expiresAt < Date.now() ? 'EXPIRED' : 'SUCCEEDED',
      ts: Date.now(),
      output: { echo: cmd.name },
    };
    this.client?.publish(formatTopic({ kind: 'cmd-result', gateway: o.id, device, commandId: cmd.id }), encodeEnvelope(result), { qos: 1 }, (err) => {
      if (!err) o.stats.commandsAnswered++;
    });
  }

  /** Disconnects cleanly (no will) and stops publishing. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    const c = this.client;
    if (c === undefined) return;
    await new Promise<void>((resolve) => {
      const guard = setTimeout(() => {
        c.end(true);
        resolve();
      }, 2000);
      c.end(false, {}, () => {
        clearTimeout(guard);
        resolve();
      });
    });
  }
}
