import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { encodeEnvelope, tryDecodeEnvelope, type EncodeOptions, type CommandEnvelope, type ConfigEnvelope, type StatusEnvelope, type GatewayHealth, silentLogger, type Logger, downlinkFilters, formatTopic, backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from '@causeway/shared';
import type { BatchSource, FormOptions } from './batch-source.js';
import { DEFAULT_REFUSAL, inflightWindow, refusalAction, strikeOnClose, type RefusalPolicy } from './refusal.js';
import { newBucket, take, type Bucket } from './token-bucket.js';

export interface UplinkOptions {
  /** the store-and-forward buffer (SqliteOutbox); the uplink only forms, sends and settles batches */
  outbox: BatchSource;
  gateway: string;
  /** groups this gateway belongs to: it subscribes to their commands (cmd-group/{group}/+) */
  groups?: readonly string[];
  url: string;
  username?: string;
  password?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  keepaliveSeconds: number;
  connectTimeoutMs?: number;
  inflight: number;
  form: FormOptions;
  encode: EncodeOptions;
  maxBytesPerSecond: number;
  agentVersion: string;
  /** the health carried by the online status and each heartbeat (issue 20) */
  health?: () => GatewayHealth;
  /** publish the retained online status (with health) this often while connected; 0 = only on connect */
  heartbeatMs?: number;
  /** persists a command or desired config before its PUBACK (the command side's inbox); resolve fast */
  persistDownlink?: (env: CommandEnvelope | ConfigEnvelope, topic: string) => Promise<void>;
  backoff?: BackoffPolicy;
  /** when a batch counts as refused by the broker (issue 23 item 5); default DEFAULT_REFUSAL */
  refusal?: RefusalPolicy;
  random?: () => number;
  logger?: Logger;
}

export interface UplinkStats {
  connected: boolean;
  connects: number;
  published: number;
  acked: number;
  resent: number;
  inflight: number;
  downlinkInvalid: number;
  /** batches the broker refused that were split in two, and moved to quarantine (issue 23 item 5) */
  refusedSplit: number;
  refusedQuarantined: number;
}

/**
 * Forwards the outbox to an MQTT broker: QoS 1 on a persistent session (clean=false, client id = the
 * gateway id [MQTT-3.1.2-4]), a window of `inflight` unacknowledged batches, rows deleted only on
 * PUBACK. Each connection gets a fresh client: after a drop the batches that were in flight are taken
 * again from the outbox (same id, same content) instead of trusting an in-memory resend queue that a
 * crash would lose anyway. Emits 'command' and 'config' for the downlink, 'connect' and 'close'.
 */
export class MqttUplink extends EventEmitter {
  private client: MqttClient | undefined;
  private readonly inflight = new Set<string>();
  /** per in-flight batch: when it was published, its rows and payload bytes (refusal detection) */
  private readonly sent = new Map<string, { at: number; rows: number; bytes: number }>();
  /** suspects: batches in flight at closes right after their PUBLISH, and how many in a row */
  private strikes = new Map<string, number>();
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pumpTimer: NodeJS.Timeout | undefined;
  private pumpQueued = false;
  private stopped = false;
  private draining = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private lastErr: { message: string; at: number } | undefined;
  private bucket: Bucket;
  private readonly log: Logger;
  private readonly s: UplinkStats = { connected: false, connects: 0, published: 0, acked: 0, resent: 0, inflight: 0, downlinkInvalid: 0, refusedSplit: 0, refusedQuarantined: 0 };

  constructor(private readonly o: UplinkOptions) {
    super();
    this.log = o.logger ?? silentLogger;
    this.bucket = newBucket(Date.now(), { rate: o.maxBytesPerSecond });
  }

  get stats(): UplinkStats {
    return { ...this.s, inflight: this.inflight.size };
  }

  /** The last error of the link (connect refused, socket error, timeout), message only (issue 20). */
  get lastError(): { message: string; at: number } | undefined {
    return this.lastErr;
  }

  start(): void {
    this.connect();
  }

  private noteError(err: unknown): void {
    // The message only: an MQTT.js error never carries the password, and a URL here has no credentials.
    const message = (err instanceof Error ? err.message : String(err)).slice(0, 300);
    this.lastErr = { message, at: Date.now() };
  }

  private publishStatus(client: MqttClient): void {
    client.publish(formatTopic({ kind: 'status', gateway: this.o.gateway }), this.status(true), { qos: 1, retain: true }, (err) => {
      if (err && client === this.client) this.log.warn('status not published', { err });
    });
  }

  /** New rows were committed: form and send if the window allows. Coalesced per tick. */
  wake(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private status(online: boolean): Buffer {
    const env: StatusEnvelope = { v: 1, type: 'status', gateway: this.o.gateway, online, ts: Date.now(), agentVersion: this.o.agentVersion };
    if (online && this.o.health !== undefined) {
      try {
        env.health = this.o.health();
      } catch (err) {
        this.log.warn('health not collected', { err });
      }
    }
    return encodeEnvelope(env, this.o.encode);
  }

  private clientOptions(): IClientOptions {
    const opts: IClientOptions = {
      clientId: this.o.gateway,
      clean: false,
      protocolVersion: 4,
      keepalive: this.o.keepaliveSeconds,
      reconnectPeriod: 0, // our own backoff with jitter decides (shared/src/retry/backoff.ts)
      connectTimeout: this.o.connectTimeoutMs ?? 10_000,
      // mqtt-packet's number cache is 65,536 two-byte Buffers: ~6 MiB of V8 heap that every major GC
      // marks, to save a 2-byte allocation per packet id (heap snapshot, issue 16)
      writeCache: false,
      // [MQTT-3.1.2-8] the broker publishes this if the link dies without a DISCONNECT.
      will: { topic: formatTopic({ kind: 'status', gateway: this.o.gateway }), payload: this.status(false), qos: 1, retain: true },
    };
    if (this.o.username) opts.username = this.o.username;
    if (this.o.password) opts.password = this.o.password;
    if (this.o.caFile) opts.ca = readFileSync(this.o.caFile);
    if (this.o.certFile) opts.cert = readFileSync(this.o.certFile);
    if (this.o.keyFile) opts.key = readFileSync(this.o.keyFile);
    return opts;
  }

  private connect(): void {
    if (this.stopped) return;
    const client = mqtt.connect(this.o.url, this.clientOptions());
    let erred = false;
    // MQTT.js calls handleMessage before it sends the PUBACK and waits for its callback (also on 3.1.1,
    // where customHandleAcks is ignored): the documented hook for acknowledging after persisting.
    client.handleMessage = (packet, cb) => this.onDownlink(client, packet.topic, packet.payload as Buffer, cb);
    this.client = client;
    client.on('connect', (ack) => {
      if (client !== this.client) return;
      this.attempt = 0;
      this.s.connected = true;
      this.s.connects++;
      this.log.info('uplink connected', { url: this.o.url, sessionPresent: ack.sessionPresent });
      this.publishStatus(client);
      clearInterval(this.heartbeat);
      if ((this.o.heartbeatMs ?? 0) > 0) {
        this.heartbeat = setInterval(() => {
          if (client === this.client && this.s.connected) this.publishStatus(client);
        }, this.o.heartbeatMs);
        this.heartbeat.unref();
      }
      client.subscribe(Object.fromEntries(downlinkFilters(this.o.gateway, this.o.groups ?? []).map((f) => [f, { qos: 1 as const }])), (err) => {
        if (err) this.log.warn('downlink subscribe failed', { err });
      });
      this.emit('connect');
      this.pump();
    });
    client.on('error', (err) => {
      if (client !== this.client) return;
      erred = true;
      this.noteError(err);
      this.log.warn('uplink error', { err });
    });
    client.on('close', () => {
      if (client !== this.client) return;
      const was = this.s.connected;
      this.s.connected = false;
      clearInterval(this.heartbeat);
      if (!was && !erred) this.noteError(new Error('connection closed before CONNACK'));
      else if (was && !erred) this.noteError(new Error('connection lost'));
      this.judgeRefusals();
      // Whatever was in flight is unacknowledged: the rows stay, and go again as the same batches.
      this.inflight.clear();
      this.sent.clear();
      client.removeAllListeners('connect');
      client.end(true);
      this.client = undefined;
      if (was) this.log.warn('uplink disconnected');
      this.emit('close');
      if (this.stopped) return;
      const delay = backoffDelay(this.attempt++, (this.o.random ?? Math.random)(), this.o.backoff ?? DEFAULT_BACKOFF);
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
    });
  }

  /**
   * Every inbound PUBLISH passes here before its PUBACK (MQTT.js handleMessage). With a
   * `persistDownlink` hook the PUBACK waits for it, so a command is acknowledged to the cloud only once
   * the command side has it on disk [MQTT-4.3.2-4]; if the hook fails the PUBACK is withheld and the
   * broker redelivers on the next connection of this persistent session. MQTT.js reads the next packet
   * only after this one is settled, so the hook must persist and return, not run the command.
   */
  private onDownlink(client: MqttClient, topic: string, payload: Buffer, done: (err?: Error) => void): void {
    if (topic.startsWith('file-chunk/')) {
      // An answer to a chunk request (issue 17): not an envelope, nothing to persist; the file side
      // hashes it and writes it, or asks again.
      this.emit('chunk', topic, payload);
      done();
      return;
    }
    if (topic.startsWith('cert/')) {
      // The answer to a certificate renewal (issue 20): JSON, not an envelope; the renewal checks it.
      this.emit('cert', topic, payload);
      done();
      return;
    }
    const res = tryDecodeEnvelope(payload);
    if (!res.ok) {
      this.s.downlinkInvalid++;
      this.log.warn('downlink payload rejected', { topic, code: res.error.code, error: res.error.message });
      done(); // acknowledged and dropped: redelivering garbage forever helps no one
      return;
    }
    const env = res.envelope;
    if (env.type !== 'command' && env.type !== 'config') {
      this.s.downlinkInvalid++;
      this.log.warn('downlink envelope of unexpected type', { topic, type: env.type });
      done();
      return;
    }
    const hook = this.o.persistDownlink;
    const accept = (): void => {
      if (env.type === 'command') {
        this.log.info('command received', { topic, commandId: env.id, name: env.name });
        this.emit('command', env, topic);
      } else {
        this.log.info('config received', { topic, version: env.version });
        this.emit('config', env, topic);
      }
      done();
    };
    if (!hook) return accept();
    hook(env, topic).then(accept, (err: unknown) => {
      this.log.error('downlink not persisted; PUBACK withheld until redelivery', { topic, err });
      // Drop this connection so the broker redelivers the unacknowledged message on the next one
      // [MQTT-4.4.0-1]; an error to the callback makes MQTT.js skip the PUBACK.
      if (client === this.client) client.stream.destroy();
      done(err instanceof Error ? err : new Error(String(err)));
    });
  }

  /**
   * The connection closed with batches unacknowledged: count it against those published just before
   * (refusal.ts); a batch refused `strikes` times in a row is split, or, a single row, quarantined, so
   * the queue moves on. A store error leaves the batch where it is (tried again on the next refusal).
   */
  private judgeRefusals(): void {
    const policy = this.o.refusal ?? DEFAULT_REFUSAL;
    const inflight = [...this.inflight].map((id) => ({ id, publishedAt: this.sent.get(id)?.at ?? 0 }));
    const v = strikeOnClose(this.strikes, inflight, Date.now(), policy);
    this.strikes = v.strikes;
    for (const id of v.refused) {
      const sent = this.sent.get(id);
      const action = refusalAction(sent?.rows ?? 1, policy);
      try {
        const halves = action.action === 'split' ? this.o.outbox.splitBatch(id) : [];
        if (halves.length > 0) {
          this.s.refusedSplit++;
          if (action.action === 'split') for (const h of halves) this.strikes.set(h, action.halfStrikes);
          continue;
        }
        const reason = `the broker closed the connection right after this batch (${sent?.bytes ?? '?'} payload bytes) was published, ${policy.strikes} times in a row: larger than its maximum packet size, or refused`;
        if (this.o.outbox.quarantineBatch(id, reason) !== undefined) this.s.refusedQuarantined++;
      } catch (err) {
        this.log.error('could not set a refused batch aside; it stays in the outbox', { batchId: id, err });
      }
    }
    if (v.refused.length === 0 && this.strikes.size > 0) this.log.warn('connection closed right after publishing; sending one batch at a time until these are through', { suspects: [...this.strikes.keys()] });
  }

  /** Fills the in-flight window; a store error is logged and retried shortly, never thrown into MQTT.js. */
  private pump(): void {
    try {
      this.fill();
    } catch (err) {
      this.log.error('uplink could not read the outbox; retrying', { err });
      this.pumpTimer ??= setTimeout(() => {
        this.pumpTimer = undefined;
        this.pump();
      }, 1000);
    }
  }

  /** Batches formed earlier first (re-sends after a reconnect or crash), then new ones live-first. */
  private fill(): void {
    const client = this.client;
    if (!client || !this.s.connected || this.stopped || this.pumpTimer) return;
    let room = inflightWindow(this.strikes, this.o.inflight) - this.inflight.size;
    while (room > 0) {
      const again = this.o.outbox.formedBatches(this.inflight, room);
      // A suspect is a formed batch; none left outside the window means the others are gone (acked,
      // evicted, expired): forget them, or the window would stay at one for ever.
      if (again.length === 0 && this.strikes.size > 0) for (const id of this.strikes.keys()) if (!this.inflight.has(id)) this.strikes.delete(id);
      const batches = again.length > 0 ? again : this.draining ? [] : this.o.outbox.formBatches(room, this.o.form);
      if (batches.length === 0) return;
      for (const b of batches) {
        // The same batch gives the same envelope (batch-source.ts), so a re-send is the same bytes.
        const payload = encodeEnvelope(b.envelope, this.o.encode);
        const t = take(this.bucket, Date.now(), payload.length, { rate: this.o.maxBytesPerSecond });
        if (!t.ok) {
          // The batch stays formed in the outbox; the next pump takes it from formedBatches.
          this.pumpTimer = setTimeout(() => {
            this.pumpTimer = undefined;
            this.pump();
          }, t.waitMs);
          return;
        }
        this.bucket = t.bucket;
        if (again.length > 0) this.s.resent++;
        this.inflight.add(b.id);
        this.sent.set(b.id, { at: Date.now(), rows: b.records, bytes: payload.length });
        this.s.published++;
        room--;
        client.publish(b.topic, payload, { qos: 1 }, (err) => {
          if (client !== this.client) return; // that connection is gone; the batch goes again on the next
          if (err) {
            this.log.warn('publish failed', { batchId: b.id, err });
            return;
          }
          // PUBACK [MQTT-4.3.2-1]: the broker owns the message now; only now may the rows go.
          this.inflight.delete(b.id);
          this.sent.delete(b.id);
          this.strikes.delete(b.id);
          this.o.outbox.ack(b.id);
          this.s.acked++;
          this.log.debug('batch acknowledged', { batchId: b.id, topic: b.topic, readings: b.records });
          this.emit('acked', b.id);
          this.wake();
        });
      }
    }
  }

  /**
   * Publishes a request on the link as it is now (a chunk request, issue 17): QoS 1, not through the
   * outbox, since a request lost with the link is asked again, not resent. False when the link is down.
   */
  request(topic: string, payload: Buffer): boolean {
    const client = this.client;
    if (!client || !this.s.connected) return false;
    client.publish(topic, payload, { qos: 1 }, (err) => {
      if (err && client === this.client) this.log.debug('request not acknowledged', { topic, err });
    });
    return true;
  }

  /** SIGTERM: stop forming new batches, wait up to `timeoutMs` for the in-flight PUBACKs, go offline. */
  async drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    const deadline = Date.now() + timeoutMs;
    while (this.inflight.size > 0 && this.s.connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await this.stop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.pumpTimer);
    const client = this.client;
    if (!client) return;
    this.client = undefined; // late PUBACK callbacks are ignored from here on; their rows stay and go again
    let offlineSent = false;
    if (this.s.connected) {
      // A clean DISCONNECT suppresses the will [MQTT-3.1.2-10], so say offline ourselves.
      offlineSent = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), 1000);
        client.publish(formatTopic({ kind: 'status', gateway: this.o.gateway }), this.status(false), { qos: 1, retain: true }, (err) => {
          clearTimeout(t);
          resolve(!err);
        });
      });
    }
    // end(false) waits for every in-flight message, which on a dead link is forever; when the offline
    // status did not get through, the link is dead: drop it, and the broker sends the will instead.
    await new Promise<void>((resolve) => {
      // (a second end() is a no-op in MQTT.js while the first is pending, so the fallback cuts the socket)
      const t = setTimeout(() => {
        client.stream?.destroy();
        resolve();
      }, 1000);
      client.end(!offlineSent, {}, () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
