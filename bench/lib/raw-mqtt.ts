/**
 * A bare MQTT client over one `net.Socket` and mqtt-packet, for benchmarks that need tens of thousands of
 * connections from one process: an MQTT.js client costs tens of KB of heap and several timers, this one
 * a socket, a parser and a few closures. It speaks only what the benchmarks need: CONNECT/CONNACK,
 * SUBSCRIBE/SUBACK, QoS 0/1 PUBLISH both ways (PUBACK sent for every QoS 1 delivery), DISCONNECT.
 * No keepalive pings: callers pick a keepalive longer than the run.
 */
import { createConnection, type Socket } from 'node:net';
import mqttPacket, { type IConnackPacket, type IPublishPacket, type ISubackPacket, type Packet } from 'mqtt-packet';

export interface RawConnectOptions {
  host: string;
  port: number;
  /** source address on 127.0.0.0/8 (see firmware-sim/src/fleet/source-address.ts) */
  localAddress?: string;
  clientId: string;
  clean: boolean;
  protocolVersion: 4 | 5;
  /** seconds; default 900 (longer than any run, so no PINGREQ is ever due) */
  keepalive?: number;
  /** MQTT 5 session expiry interval in seconds (only sent for protocolVersion 5) */
  sessionExpirySeconds?: number;
  timeoutMs?: number;
  /**
   * Receives every PUBLISH from the start: a broker sends a persistent session's queued messages right
   * behind the CONNACK, often in the same segment, before the caller could set RawClient.onMessage.
   */
  onMessage?: (topic: string, payload: Buffer) => void;
}

export interface RawClient {
  readonly socket: Socket;
  /** SUBSCRIBE and wait for SUBACK; rejects when the broker refuses the filter */
  subscribe(filter: string, qos: 0 | 1): Promise<void>;
  /** QoS 1 resolves on PUBACK, QoS 0 once written */
  publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
  /** called for every PUBLISH received (the PUBACK for QoS 1 is already sent) */
  onMessage: ((topic: string, payload: Buffer) => void) | undefined;
  /** sends DISCONNECT and closes the socket */
  disconnect(): Promise<void>;
  /** destroys the socket */
  destroy(): void;
}

/** Opens a socket, sends CONNECT and resolves once CONNACK says 0 (accepted). */
export function rawConnect(o: RawConnectOptions): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: o.host, port: o.port, ...(o.localAddress === undefined ? {} : { localAddress: o.localAddress }) });
    socket.setNoDelay(true);
    const parser = mqttPacket.parser({ protocolVersion: o.protocolVersion });
    const opts = { protocolVersion: o.protocolVersion };
    const waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
    let nextId = 1;
    let settled = false;
    const timer = setTimeout(() => fail(new Error(`${o.clientId}: no CONNACK within ${o.timeoutMs ?? 30_000} ms`)), o.timeoutMs ?? 30_000);

    const fail = (err: Error): void => {
      clearTimeout(timer);
      for (const w of waiting.values()) w.reject(err);
      waiting.clear();
      socket.destroy();
      if (!settled) {
        settled = true;
        reject(err);
      }
    };
    const id = (): number => {
      const n = nextId;
      nextId = nextId === 0xffff ? 1 : nextId + 1;
      return n;
    };
    const awaitAck = (messageId: number): Promise<void> => new Promise((res, rej) => waiting.set(messageId, { resolve: res, reject: rej }));

    const client: RawClient = {
      socket,
      onMessage: o.onMessage,
      subscribe(filter, qos) {
        const messageId = id();
        const done = awaitAck(messageId);
        socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId, subscriptions: [{ topic: filter, qos }] }, opts));
        return done;
      },
      publish(topic, payload, qos) {
        if (qos === 0) {
          return new Promise((res) => socket.write(mqttPacket.generate({ cmd: 'publish', topic, payload, qos: 0, dup: false, retain: false }, opts), () => res()));
        }
        const messageId = id();
        const done = awaitAck(messageId);
        socket.write(mqttPacket.generate({ cmd: 'publish', topic, payload, qos: 1, messageId, dup: false, retain: false }, opts));
        return done;
      },
      disconnect() {
        return new Promise((res) => {
          if (socket.destroyed) return res();
          socket.once('close', () => res());
          socket.end(mqttPacket.generate({ cmd: 'disconnect' }, opts));
          // a broker that never closes its side must not hold the benchmark
          setTimeout(() => socket.destroy(), 2000).unref();
        });
      },
      destroy() {
        socket.destroy();
      },
    };

    parser.on('packet', (p: Packet) => {
      switch (p.cmd) {
        case 'connack': {
          clearTimeout(timer);
          const c = p as IConnackPacket;
          const code = c.reasonCode ?? c.returnCode ?? 0;
          if (code !== 0) return fail(new Error(`${o.clientId}: CONNACK refused with code ${code}`));
          settled = true;
          resolve(client);
          return;
        }
        case 'suback': {
          const s = p as ISubackPacket;
          const w = waiting.get(s.messageId ?? -1);
          waiting.delete(s.messageId ?? -1);
          const granted: unknown = s.granted[0];
          const code = typeof granted === 'number' ? granted : ((granted as { qos?: number } | undefined)?.qos ?? 0x80);
          if (code >= 0x80) w?.reject(new Error(`${o.clientId}: SUBACK refused (0x${code.toString(16)})`));
          else w?.resolve();
          return;
        }
        case 'puback': {
          const w = waiting.get(p.messageId ?? -1);
          waiting.delete(p.messageId ?? -1);
          w?.resolve();
          return;
        }
        case 'publish': {
          const m = p as IPublishPacket;
          if (m.qos === 1 && m.messageId !== undefined) socket.write(mqttPacket.generate({ cmd: 'puback', messageId: m.messageId }, opts));
          client.onMessage?.(m.topic, Buffer.isBuffer(m.payload) ? m.payload : Buffer.from(m.payload));
          return;
        }
        default:
          return;
      }
    });
    parser.on('error', (err: Error) => fail(err));
    socket.on('data', (b: Buffer) => parser.parse(b));
    socket.on('error', (err) => fail(err));
    socket.on('close', () => {
      clearTimeout(timer);
      for (const w of waiting.values()) w.reject(new Error(`${o.clientId}: connection closed`));
      waiting.clear();
      if (!settled) {
        settled = true;
        reject(new Error(`${o.clientId}: connection closed before CONNACK`));
      }
    });
    socket.once('connect', () => {
      socket.write(mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: o.protocolVersion,
        clientId: o.clientId,
        clean: o.clean,
        keepalive: o.keepalive ?? 900,
        ...(o.protocolVersion === 5 && o.sessionExpirySeconds !== undefined ? { properties: { sessionExpiryInterval: o.sessionExpirySeconds } } : {}),
      }, opts));
    });
  });
}

/**
 * Runs `task(i)` for i in [0, n) with at most `concurrency` in flight; resolves with the count done.
 * Stops starting new tasks after the first failure or once `deadline` (Date.now() ms) passes, and
 * rejects with the first error.
 */
export async function forEachConcurrent(n: number, concurrency: number, task: (i: number) => Promise<void>, deadline = Infinity): Promise<number> {
  let next = 0;
  let done = 0;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (next < n && firstError === undefined && Date.now() < deadline) {
      const i = next++;
      try {
        await task(i);
        done++;
      } catch (err) {
        firstError ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  if (firstError !== undefined) throw firstError;
  return done;
}
