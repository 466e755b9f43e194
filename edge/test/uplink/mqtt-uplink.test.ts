import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { decodeEnvelope, encodeEnvelope, type CommandEnvelope } from '@causeway/shared';
import { startFaultProxy, type FaultProxy } from '@causeway/sim/fault-proxy/fault-proxy.js';
import { SqliteOutbox } from '../../src/store/sqlite-outbox.js';
import { MqttUplink, type UplinkOptions } from '../../src/uplink/mqtt-uplink.js';
import type { BatchSource, OutgoingBatch } from '../../src/uplink/batch-source.js';
import { startCollector, type Collector } from '../helpers/collector.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';

const T0 = 1_700_000_000_000;

describe('uplink/mqtt-uplink against a real mosquitto', function () {
  this.timeout(30_000);
  let broker: Mosquitto;
  let sub: Collector;
  let dir: string;
  let n = 0;
  const cleanups: Array<() => Promise<void> | void> = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uplink-test-'));
    broker = await startMosquitto();
    sub = await startCollector(broker.url);
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  after(async () => {
    await sub?.close();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function outbox(path = join(dir, `u${++n}.db`), gateway = `gwu${n}`): SqliteOutbox {
    const o = SqliteOutbox.open({ path, gateway, maxBytes: 1 << 24, maxAgeMs: 3_600_000 });
    cleanups.push(() => o.close());
    return o;
  }
  function uplink(o: BatchSource, gateway: string, over: Partial<UplinkOptions> = {}): MqttUplink {
    const u = new MqttUplink({
      outbox: o, gateway, url: broker.url, keepaliveSeconds: 2, connectTimeoutMs: 2000, inflight: 4,
      form: { maxRecords: 100, maxBytes: 1 << 16, liveWindowMs: 10_000 }, encode: { codec: 'cbor', deflate: true },
      maxBytesPerSecond: 0, agentVersion: 'test', backoff: { baseMs: 100, capMs: 300, minMs: 50 }, ...over,
    });
    cleanups.push(() => u.stop());
    return u;
  }

  it('exposes commands from its downlink filters as events, and counts bad payloads', async () => {
    const o = outbox();
    const gw = `gwu${n}`;
    const u = uplink(o, gw);
    const got: CommandEnvelope[] = [];
    u.on('command', (c: CommandEnvelope) => got.push(c));
    const connected = new Promise((r) => u.once('connect', r));
    u.start();
    await connected;
    await new Promise((r) => setTimeout(r, 200)); // SUBACK
    const cmd: CommandEnvelope = { v: 1, type: 'command', id: 'c1', name: 'reboot', args: {}, device: 'dev1', issuedAt: T0 };
    await sub.client.publishAsync(`cmd/${gw}/dev1/c1`, encodeEnvelope(cmd), { qos: 1 });
    await sub.client.publishAsync(`cmd/${gw}/dev1/c2`, Buffer.from('garbage'), { qos: 1 });
    await sub.client.publishAsync('cmd-all/c3', encodeEnvelope({ ...cmd, id: 'c3' }), { qos: 1 });
    await sub.waitFor(() => got.length === 2 && u.stats.downlinkInvalid === 1, 5000, 'two commands and one rejected payload');
    assert.deepEqual(got.map((c) => c.id), ['c1', 'c3']);
  });

  it('withholds the PUBACK of a command until persistDownlink resolves; a failed persist is redelivered', async () => {
    const proxy: FaultProxy = await startFaultProxy({ targetPort: broker.port });
    cleanups.push(() => proxy.close());
    const o = outbox();
    const gw = `gwu${n}`;
    const calls: string[] = [];
    let failNext = true;
    const u = uplink(o, gw, {
      url: `mqtt://127.0.0.1:${proxy.port}`,
      persistDownlink: async (env) => {
        calls.push(env.type === 'command' ? env.id : 'config');
        await new Promise((r) => setTimeout(r, 50));
        if (failNext) {
          failNext = false;
          throw new Error('disk full');
        }
      },
    });
    const got: string[] = [];
    u.on('command', (c: CommandEnvelope) => got.push(c.id));
    const connected = new Promise((r) => u.once('connect', r));
    u.start();
    await connected;
    await new Promise((r) => setTimeout(r, 200)); // SUBACK
    const cmd: CommandEnvelope = { v: 1, type: 'command', id: 'p1', name: 'reboot', args: {}, device: 'dev1', issuedAt: T0 };
    await sub.client.publishAsync(`cmd/${gw}/dev1/p1`, encodeEnvelope(cmd), { qos: 1 });
    // first delivery: persist fails → no PUBACK, connection dropped → the persistent session redelivers
    await sub.waitFor(() => got.length === 1, 10_000, 'the command after redelivery');
    assert.deepEqual(calls, ['p1', 'p1']);
    assert.deepEqual(got, ['p1'], 'the command is exposed once, after it was persisted');
    assert.ok(u.stats.connects >= 2);
    // acknowledged now (give the PUBACK time to cross the proxy; a cut before it would rightly
    // bring a redelivery): a reconnect does not bring it back
    await new Promise((r) => setTimeout(r, 500));
    proxy.cut();
    proxy.restore();
    await sub.waitFor(() => u.stats.connects >= 3, 10_000, 'reconnect');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(calls, ['p1', 'p1']);
  });

  it('sends the envelopes any BatchSource hands out, as they are, and acks each after its PUBACK (issue 14)', async () => {
    const gw = 'gwu-source';
    const ready: OutgoingBatch[] = [
      { id: 'e-1', topic: `telemetry/${gw}/d1/t`, records: 2, envelope: { v: 1, type: 'batch', id: 'e-1', gateway: gw, device: 'd1', stream: 't', readings: [{ seq: 1, ts: T0, value: 1 }, { seq: 2, ts: T0 + 1, value: 'two', unit: 'x' }] } },
      { id: 'e-3', topic: `events/${gw}/d1/door`, records: 1, envelope: { v: 1, type: 'event', id: 'e-3', gateway: gw, device: 'd1', event: 'door', severity: 'alarm', ts: T0 } },
    ];
    const acked: string[] = [];
    const source: BatchSource = {
      formBatches: (n) => ready.splice(0, n),
      formedBatches: () => [],
      ack: (id) => acked.push(id),
      splitBatch: () => [],
      quarantineBatch: () => undefined,
    };
    const want = ready.map((b) => ({ topic: b.topic, env: b.envelope, bytes: encodeEnvelope(b.envelope, { codec: 'cbor', deflate: true }).length }));
    const u = uplink(source, gw);
    u.start();
    await sub.waitFor(() => acked.length === 2, 5000, 'two batches acknowledged');
    assert.deepEqual(acked, ['e-1', 'e-3']);
    assert.deepEqual(sub.all.filter((m) => m.topic.includes(gw) && !m.topic.startsWith('status/')).map((m) => ({ topic: m.topic, env: m.env, bytes: m.bytes })), want);
  });

  it('sends live-first: alarms, then fresh telemetry, then the backlog', async () => {
    const path = join(dir, 'live.db');
    const gw = 'gwu-live';
    const first = SqliteOutbox.open({ path, gateway: gw, maxBytes: 1 << 24, maxAgeMs: 3_600_000 });
    await Promise.all(Array.from({ length: 5 }, (_, i) => first.addReading({ device: 'backlog', stream: 'v', ts: T0 + i, value: i })));
    first.close();
    const o = outbox(path, gw);
    await o.addReading({ device: 'fresh', stream: 'v', ts: T0, value: 1 });
    await o.addReading({ device: 'alarm', stream: 'v', ts: T0, value: 1, priority: 'alarm' });
    const u = uplink(o, gw, { inflight: 1 });
    u.start();
    await sub.waitFor(() => sub.batches.filter((b) => b.gateway === gw).length === 3, 5000, 'three batches');
    assert.deepEqual(sub.batches.filter((b) => b.gateway === gw).map((b) => b.device), ['alarm', 'fresh', 'backlog']);
    await sub.waitFor(() => o.stats().records === 0, 2000, 'rows deleted after PUBACK');
  });

  it('keeps at most `inflight` batches unacknowledged and respects maxBytesPerSecond', async () => {
    const o = outbox();
    const gw = `gwu${n}`;
    await Promise.all(Array.from({ length: 40 }, (_, i) => o.addReading({ device: `d${i}`, stream: 'v', ts: T0 + i, value: 'x'.repeat(100) })));
    const u = uplink(o, gw, { inflight: 2, maxBytesPerSecond: 2000, encode: { codec: 'json', deflate: false } });
    let maxInflight = 0;
    const t0 = Date.now();
    u.on('acked', () => (maxInflight = Math.max(maxInflight, u.stats.inflight + 1)));
    u.start();
    await sub.waitFor(() => sub.batches.filter((b) => b.gateway === gw).length === 40, 20_000, '40 batches');
    const bytes = sub.batches.filter((b) => b.gateway === gw).reduce((s, b) => s + Buffer.byteLength(JSON.stringify(b)), 0);
    const secs = (Date.now() - t0) / 1000;
    assert.ok(maxInflight <= 2, `in flight ${maxInflight}`);
    // one second of burst, then 2000 B/s
    assert.ok(secs >= (bytes - 2000) / 2000 - 0.5, `${bytes} bytes in ${secs} s`);
  });

  it('the broker publishes the retained offline will when the link dies, and online again on reconnect', async () => {
    const proxy: FaultProxy = await startFaultProxy({ targetPort: broker.port });
    cleanups.push(() => proxy.close());
    const o = outbox();
    const gw = `gwu${n}`;
    const u = uplink(o, gw, { url: `mqtt://127.0.0.1:${proxy.port}` });
    u.start();
    const statuses = (): boolean[] => sub.all.filter((m) => m.topic === `status/${gw}` && m.env.type === 'status').map((m) => (m.env as { online: boolean }).online);
    await sub.waitFor(() => statuses().length === 1, 5000, 'online');
    proxy.cut();
    await sub.waitFor(() => statuses().length === 2, 5000, 'the will');
    proxy.restore();
    await sub.waitFor(() => statuses().length === 3, 5000, 'online again');
    assert.deepEqual(statuses(), [true, false, true]);
    // and the will is retained: a new subscriber sees the latest status at once
    const late = mqtt.connect(broker.url, { clientId: `late-${n}` });
    cleanups.push(() => late.endAsync(true));
    const retained = await new Promise<Buffer>((resolve) => {
      late.on('message', (_t, p) => resolve(p));
      late.subscribe(`status/${gw}`, { qos: 1 });
    });
    assert.deepEqual(decodeEnvelope(retained), { ...(decodeEnvelope(retained) as object), type: 'status', gateway: gw, online: true });
  });

  it('publishes its health with the online status and on each heartbeat; notes the last link error (issue 20)', async () => {
    const o = outbox();
    const gw = `gwu${n}`;
    let calls = 0;
    const health = () => ({ uptimeSeconds: ++calls, outbox: { records: 0, bytes: 0, oldestAgeSeconds: 0 }, evictions: 0, expiries: 0, diskFreeBytes: 1, memFreeBytes: 1, rssBytes: 1, ports: [], configVersion: 7 });
    const u = uplink(o, gw, { health, heartbeatMs: 200 });
    u.start();
    const statuses = () => sub.all.filter((m) => m.topic === `status/${gw}` && m.env.type === 'status' && m.env.online);
    await sub.waitFor(() => statuses().length >= 3, 10_000, 'the connect status and two heartbeats');
    const hs = statuses().map((m) => (m.env as { health?: { uptimeSeconds: number; configVersion: number } }).health!);
    assert.ok(hs.every((h) => h.configVersion === 7) && hs[2]!.uptimeSeconds > hs[0]!.uptimeSeconds);
    // retained: a reader that comes later gets the latest, health included
    const late = mqtt.connect(broker.url);
    cleanups.push(() => void late.end(true));
    const retained = await new Promise<Buffer>((resolve) => {
      late.on('message', (_t, p) => resolve(p));
      late.subscribe(`status/${gw}`, { qos: 1 });
    });
    assert.equal((decodeEnvelope(retained) as { health?: { configVersion: number } }).health?.configVersion, 7);
    assert.equal(u.lastError, undefined);

    // a link that refuses: the last error says why, and no heartbeat is sent while down
    const refused = uplink(outbox(), `gwu-refused-${n}`, { url: 'mqtt://127.0.0.1:1', health, heartbeatMs: 100 });
    refused.start();
    for (let i = 0; i < 100 && refused.lastError === undefined; i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(refused.lastError!.message, /ECONNREFUSED|closed before CONNACK/);
    assert.ok(refused.lastError!.at <= Date.now());
  });
});
