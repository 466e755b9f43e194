/**
 * Command broadcast (issue 7): K connected gateways each answer a command with a command-result.
 * causeway-cloud: the K gateways are registered through the API, `POST /v1/commands {"all":true}` sends
 * ONE stored message on `cmd-all/{id}`, every gateway (subscribed to `cmd-all/+`) answers DELIVERED then
 * SUCCEEDED on `cmd-result/{gw}/{gw}/{id}`, and the command is polled until every target is DELIVERED
 * (or further) and then SUCCEEDED. mosquitto has no command service: a backend publishes one message
 * per gateway on `cmd/{gw}/{gw}/{id}` and waits for every reply on `cmd-result/+/+/+`.
 *
 *   npm run bench -- command-broadcast [--quick] [--gateways 10000] [--concurrency 200]
 *                                      [--timeout-ms 300000] [--brokers causeway,mosquitto]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeEnvelope, tryDecodeEnvelope, type CommandEnvelope, type CommandResultEnvelope, type CommandResultStatus } from '@causeway/shared';
import { sourceAddress } from '@causeway/sim/fleet/source-address.js';
import { boolFlag, intFlag, listFlag } from './lib/args.js';
import { formatBytes, sqliteUsedBytes, diskUsage } from './lib/broker-footprint.js';
import { cloudApi } from './lib/cloud-api.js';
import { CompetitorUnavailableError, startCompetitor, type RunningBroker } from './lib/competitors.js';
import { Histogram } from './lib/histogram.js';
import { forEachConcurrent, rawConnect, type RawClient } from './lib/raw-mqtt.js';
import type { BenchArgs, BenchResult, ResultRow } from './lib/result.js';

export const description = 'K connected gateways answer one broadcast command: time to all DELIVERED / SUCCEEDED, per-device p50/p99, bytes stored; causeway-cloud vs per-device publishes on mosquitto';

interface Measured {
  gateways: number;
  setupMs: number;
  /** the last gateway received the command (gateway side, same clock) */
  deliveredMs: number;
  /** causeway: the command service had every target DELIVERED or further (polled) */
  recordedDeliveredMs?: number;
  doneMs: number;
  delivered: Histogram;
  done: Histogram;
  storedBytes: number;
  storedDetail: string;
  answered: number;
}

/** Gateways that answer every command they get; `t0` is when the command went out (performance.now()). */
class Fleet {
  readonly clients: RawClient[] = [];
  readonly received = new Histogram();
  receivedCount = 0;
  answered = 0;
  t0 = 0;

  async connect(broker: RunningBroker, k: number, concurrency: number, filter: (gw: string) => string, statuses: readonly CommandResultStatus[]): Promise<void> {
    await forEachConcurrent(k, concurrency, async (i) => {
      const gw = `gw${i}`;
      let client: RawClient | undefined;
      const answer = (topic: string, payload: Buffer): void => {
        const d = tryDecodeEnvelope(payload);
        if (!d.ok || d.envelope.type !== 'command') return;
        const cmd: CommandEnvelope = d.envelope;
        this.receivedCount++;
        this.received.record((performance.now() - this.t0) * 1000);
        void (async () => {
          for (const status of statuses) {
            const result: CommandResultEnvelope = { v: 1, type: 'command-result', id: `${gw}-${status}-${cmd.id}`, commandId: cmd.id, gateway: gw, device: gw, status, ts: Date.now(), ...(status === 'SUCCEEDED' ? { output: { pong: true } } : {}) };
            await client!.publish(`cmd-result/${gw}/${gw}/${cmd.id}`, encodeEnvelope(result), 1);
          }
          this.answered++;
        })().catch(() => undefined);
        void topic;
      };
      client = await rawConnect({ host: '127.0.0.1', port: broker.port, localAddress: sourceAddress(i), clientId: gw, clean: true, protocolVersion: 4, onMessage: answer });
      this.clients[i] = client;
      await client.subscribe(filter(gw), 1);
    });
  }

  close(): void {
    for (const c of this.clients) c?.destroy();
  }
}

async function storeBytes(broker: RunningBroker): Promise<{ total: number; detail: string }> {
  if (broker.name === 'causeway') {
    const s = sqliteUsedBytes(broker.dir);
    return { total: s.total, detail: Object.entries(s.byFile).map(([f, b]) => `${f.replace(/^store\//, '')} ${formatBytes(b)}`).join(', ') };
  }
  process.kill(broker.pid, 'SIGUSR1'); // mosquitto writes its db on SIGUSR1 (mosquitto(8))
  await sleep(1500);
  const u = diskUsage(broker.dir);
  return { total: u.files['mosquitto.db'] ?? 0, detail: `mosquitto.db ${formatBytes(u.files['mosquitto.db'] ?? 0)}` };
}

async function runCauseway(broker: RunningBroker, k: number, concurrency: number, timeoutMs: number): Promise<Measured> {
  const api = await cloudApi(broker);
  const t0 = performance.now();
  await forEachConcurrent(k, 50, async (i) => {
    await api.call('POST', '/v1/devices', { id: `gw${i}`, kind: 'gateway', groups: [], tags: {} });
  });
  const fleet = new Fleet();
  try {
    await fleet.connect(broker, k, concurrency, () => 'cmd-all/+', ['DELIVERED', 'SUCCEEDED']);
    const setupMs = performance.now() - t0;
    process.stderr.write(`    ${k} gateways registered, connected and subscribed in ${(setupMs / 1000).toFixed(1)} s\n`);
    const before = await storeBytes(broker);
    fleet.t0 = performance.now();
    const created = await api.call<{ command: { id: string; createdAt: number } }>('POST', '/v1/commands', { name: 'ping', args: {}, all: true });
    const id = created.command.id;
    let deliveredMs = NaN;
    let doneMs = NaN;
    const deadline = Date.now() + timeoutMs;
    let lastLog = Date.now();
    let pollErrors = 0;
    let pollFailures = 0;
    while (Date.now() < deadline) {
      let c: { counts: Record<string, number> };
      try {
        c = await api.call<{ counts: Record<string, number> }>('GET', `/v1/commands/${id}`);
        pollErrors = 0;
      } catch (err) {
        // A broker busy applying results can let a kept-alive socket time out (ECONNRESET on reuse):
        // count it, retry a bounded number of times in a row.
        if (++pollErrors > 10) throw err;
        pollFailures++;
        await sleep(200);
        continue;
      }
      const succeeded = c.counts['SUCCEEDED'] ?? 0;
      const reached = (c.counts['DELIVERED'] ?? 0) + succeeded + (c.counts['FAILED'] ?? 0);
      if (Number.isNaN(deliveredMs) && reached >= k) deliveredMs = performance.now() - fleet.t0;
      if (succeeded >= k) {
        doneMs = performance.now() - fleet.t0;
        break;
      }
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        process.stderr.write(`    ${JSON.stringify(c.counts)}; gateways got ${fleet.receivedCount}, answered ${fleet.answered}\n`);
      }
      await sleep(100);
    }
    if (Number.isNaN(doneMs)) throw new Error(`not all ${k} targets SUCCEEDED within ${timeoutMs} ms`);
    if (pollFailures > 0) process.stderr.write(`    ${pollFailures} status polls failed and were retried\n`);
    // Per device, as the command service recorded it: SUCCEEDED at updatedAt, from the command's creation.
    const done = new Histogram();
    const targets = await api.call<{ targets: Array<{ state: string; updatedAt: number }> }>('GET', `/v1/commands/${id}/targets?state=SUCCEEDED`);
    for (const t of targets.targets) done.record((t.updatedAt - created.command.createdAt) * 1000);
    const after = await storeBytes(broker);
    return { gateways: k, setupMs, deliveredMs: fleet.received.max / 1000, recordedDeliveredMs: deliveredMs, doneMs, delivered: fleet.received, done, storedBytes: after.total - before.total, storedDetail: `${formatBytes(before.total)} → ${formatBytes(after.total)} (${after.detail})`, answered: fleet.answered };
  } finally {
    fleet.close();
  }
}

async function runMosquitto(broker: RunningBroker, k: number, concurrency: number, timeoutMs: number): Promise<Measured> {
  const t0 = performance.now();
  const fleet = new Fleet();
  const done = new Histogram();
  let replies = 0;
  let backend: RawClient | undefined;
  try {
    await fleet.connect(broker, k, concurrency, (gw) => `cmd/${gw}/+/+`, ['SUCCEEDED']);
    const seen = new Set<string>();
    backend = await rawConnect({
      host: '127.0.0.1',
      port: broker.port,
      clientId: `backend-${process.pid}`,
      clean: true,
      protocolVersion: 4,
      onMessage: (topic) => {
        if (seen.has(topic)) return;
        seen.add(topic);
        replies++;
        done.record((performance.now() - fleet.t0) * 1000);
      },
    });
    await backend.subscribe('cmd-result/+/+/+', 1);
    const setupMs = performance.now() - t0;
    process.stderr.write(`    ${k} gateways connected and subscribed in ${(setupMs / 1000).toFixed(1)} s\n`);
    const before = await storeBytes(broker);
    const id = `c${Date.now()}`;
    fleet.t0 = performance.now();
    const issuedAt = Date.now();
    const env = (gw: string): Buffer => encodeEnvelope({ v: 1, type: 'command', id, name: 'ping', args: {}, device: gw, issuedAt, expiresAt: issuedAt + 3_600_000 } satisfies CommandEnvelope);
    const acks: Array<Promise<void>> = [];
    for (let i = 0; i < k; i++) acks.push(backend.publish(`cmd/gw${i}/gw${i}/${id}`, env(`gw${i}`), 1));
    await Promise.all(acks);
    const deadline = Date.now() + timeoutMs;
    while (replies < k && Date.now() < deadline) await sleep(20);
    if (replies < k) throw new Error(`${replies}/${k} replies within ${timeoutMs} ms`);
    // the last reply's arrival, not when this loop noticed it
    const doneMs = done.max / 1000;
    const after = await storeBytes(broker);
    return { gateways: k, setupMs, deliveredMs: fleet.received.max / 1000, doneMs, delivered: fleet.received, done, storedBytes: after.total - before.total, storedDetail: `${formatBytes(before.total)} → ${formatBytes(after.total)}`, answered: fleet.answered };
  } finally {
    backend?.destroy();
    fleet.close();
  }
}

export async function run(args: BenchArgs): Promise<BenchResult> {
  const quick = boolFlag(args, 'quick');
  const k = intFlag(args, 'gateways', quick ? 500 : 10_000);
  const concurrency = intFlag(args, 'concurrency', 200);
  const timeoutMs = intFlag(args, 'timeout-ms', quick ? 60_000 : 300_000);
  const brokers = listFlag(args, 'brokers', ['causeway', 'mosquitto']).map((b) => {
    if (b !== 'causeway' && b !== 'mosquitto') throw new Error(`--brokers: causeway and/or mosquitto, got ${b}`);
    return b;
  });
  const n = k.toLocaleString('en-US');
  const cases = {
    delivered: `${n} gateways, time to all delivered, ms (lower is better)`,
    done: `${n} gateways, time to all SUCCEEDED / replied, ms (lower is better)`,
    stored: `${n} gateways, bytes stored for the command (lower is better)`,
  };
  const rows: ResultRow[] = [];
  for (const name of brokers) {
    const ours = name === 'causeway';
    let broker: RunningBroker;
    try {
      process.stderr.write(`starting ${name}…\n`);
      // mosquitto drops QoS 1 messages past max_queued_messages (default 1000) queued for one client: the
      // backend that collects K replies needs it unlimited (0)
      broker = await startCompetitor(name, ours ? { api: true, causewayArgs: ['--limits.maxConnections', String(k + 100)] } : { persistence: true, mosquittoConfig: ['max_queued_messages 0'] });
    } catch (err) {
      rows.push({ case: cases.done, contender: name, ours, skipped: err instanceof CompetitorUnavailableError ? err.message : String(err) });
      continue;
    }
    try {
      const m = ours ? await runCauseway(broker, k, concurrency, timeoutMs) : await runMosquitto(broker, k, concurrency, timeoutMs);
      process.stderr.write(`    all delivered ${m.deliveredMs.toFixed(0)} ms (${m.delivered.summaryMicros()}), all done ${m.doneMs.toFixed(0)} ms (${m.done.summaryMicros()}), stored ${formatBytes(m.storedBytes)}: ${m.storedDetail}\n`);
      const how = ours ? 'POST /v1/commands {all:true} → 1 message on cmd-all/{id}' : `${n} QoS 1 publishes on cmd/{gw}/{gw}/{id}`;
      const recorded = m.recordedDeliveredMs === undefined ? '' : `; the command service had all ${n} DELIVERED after ${Math.round(m.recordedDeliveredMs).toLocaleString('en-US')} ms`;
      rows.push({ case: cases.delivered, contender: broker.label, ours, value: m.deliveredMs, detail: `${how}; per device, command out → received by the gateway: ${m.delivered.summaryMicros()}${recorded}` });
      rows.push({ case: cases.done, contender: broker.label, ours, value: m.doneMs, detail: `per device, command out → ${ours ? 'SUCCEEDED recorded by the command service' : 'reply received by the backend'}: ${m.done.summaryMicros()}; ${m.answered}/${m.gateways} gateways answered; setup ${(m.setupMs / 1000).toFixed(1)} s` });
      rows.push({ case: cases.stored, contender: broker.label, ours, value: m.storedBytes, detail: m.storedDetail });
    } catch (err) {
      const alive = (() => {
        try {
          process.kill(broker.pid, 0);
          return 'still running';
        } catch {
          return 'exited';
        }
      })();
      process.stderr.write(`    failed: ${err instanceof Error ? err.message : String(err)}; broker ${alive}; its last output: ${broker.output().slice(-1500)}\n`);
      rows.push({ case: cases.done, contender: broker.label, ours, skipped: `run failed: ${err instanceof Error ? err.message : String(err)} (broker ${alive})` });
    } finally {
      await broker.stop();
    }
  }
  return {
    name: 'command-broadcast',
    unit: 'figure (unit in the case)',
    rows,
    notes: [
      `${n} gateways as bare MQTT 3.1.1 clients (bench/lib/raw-mqtt.ts) in one Node process, each from its own 127.x.y.z address, connected ${concurrency} at a time; on causeway-cloud each is first registered with POST /v1/devices (50 in parallel), which is what the command service targets`,
      '"time to all delivered" = command out (just before POST /v1/commands, or the first of the K publishes) → the last gateway received it, on the load generator\'s clock; causeway-cloud gateways answer DELIVERED then SUCCEEDED (as causeway-edge does), mosquitto gateways answer once; the mosquitto side has no registry, no per-target state and no TTL, i.e. it does less work',
      'per-device SUCCEEDED times on causeway-cloud are the command service\'s updatedAt − the command\'s createdAt (server clock, ms resolution); the "all" times are from polling GET /v1/commands/{id} every 100 ms',
      'mosquitto runs with max_queued_messages 0 (unlimited): at its default of 1,000 it silently drops the replies queued for the one backend client beyond that; ' + 'bytes stored: causeway-cloud, SQLite bytes in use (dbstat) after − before, which includes one command_targets row per gateway and the K×2 command-result messages kept in the log for the cmd-result queue; mosquitto, mosquitto.db written on SIGUSR1 after − before (delivered QoS 1 messages leave nothing behind)',
      'for these lower-is-better cases the ratio column reads causeway ÷ mosquitto, so < 1 favours causeway',
    ],
  };
}
