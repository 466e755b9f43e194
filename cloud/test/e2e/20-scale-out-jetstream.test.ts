import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { startFleet } from '@causeway/sim/fleet/run-fleet.js';
import { decodeEnvelope } from '@causeway/shared';
import { connect } from 'nats';
import { decodeHeaders } from '../../src/store/jetstream/message-codec.js';
import { normalizeJetStreamOptions } from '../../src/store/jetstream/jetstream-options.js';
import { natsForSuite } from '../store/jetstream-server.js';

const connected = (c: mqtt.MqttClient): Promise<unknown> => (c.connected ? Promise.resolve() : new Promise((r) => c.once('connect', r)));

interface NodeProcess {
  id: string;
  port: number;
  url: string;
  crossNode: boolean;
  sessionsAcrossNodes: boolean;
  child: ChildProcess;
  /** what the node wrote to stderr so far (for a timeout's message) */
  output(): string;
  kill(): Promise<void>;
}

/** Polls `cond`; on a timeout the error also says what `detail` reports of the state at that moment. */
async function until(what: string, cond: () => boolean, timeoutMs: number, detail?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail === undefined ? '' : `: ${detail()}`}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * e2e 20: scale-out on NATS JetStream (issue 9). A 3-node nats-server cluster (R3 stream and buckets) and
 * two Causeway nodes as real child processes, all on loopback; simulated gateways fail over between nodes.
 */
describe('e2e 20: two Causeway nodes on a 3-node JetStream cluster @e2e', function () {
  this.timeout(180_000);
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const fixture = fileURLToPath(new URL('./fixtures/scale-out-node.ts', import.meta.url));
  const prefix = `e${randomBytes(4).toString('hex')}`;
  const nats = natsForSuite(3);
  const nodes: NodeProcess[] = [];
  const clients: mqtt.MqttClient[] = [];
  let stopFleet: (() => Promise<unknown>) | undefined;

  function startNode(id: string, natsUrls: string[]): Promise<NodeProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, natsUrls.join(','), prefix, id, '3'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      const guard = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`node ${id} not ready in 45 s: ${err.slice(-2000)}`));
      }, 45_000);
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line === undefined) return;
        clearTimeout(guard);
        const info = JSON.parse(line) as { port: number; crossNode: boolean; sessionsAcrossNodes: boolean };
        const node: NodeProcess = {
          id,
          port: info.port,
          url: `mqtt://127.0.0.1:${info.port}`,
          crossNode: info.crossNode,
          sessionsAcrossNodes: info.sessionsAcrossNodes,
          child,
          output: () => err,
          async kill() {
            if (child.exitCode !== null || child.signalCode !== null) return;
            const exited = new Promise((r) => child.once('exit', r));
            child.kill('SIGKILL');
            await exited;
          },
        };
        nodes.push(node);
        resolve(node);
      });
      child.once('exit', (code) => {
        clearTimeout(guard);
        reject(new Error(`node ${id} exited with ${String(code)}: ${err.slice(-2000)}`));
      });
    });
  }

  /**
   * Every batch id in the server-side queue `telemetry`, read from the replicated log record by record with
   * direct gets, which need only the stream's leader. (Opening a whole new store right after a nats node
   * died creates consumers, which nats-server 2.9 may place on the dead peer: that can hang for minutes
   * while the running nodes serve on — the verification must not depend on it.)
   */
  async function storedBatchIds(natsUrls: string[]): Promise<Set<string>> {
    const nc = await connect({ servers: natsUrls });
    try {
      const jsm = await nc.jetstreamManager({ timeout: 10_000, checkAPI: false }); // no account-info round trip: it would need the meta leader
      const stream = normalizeJetStreamOptions({ servers: natsUrls, prefix }).names.stream;
      // Right after a nats node died the log may need a new Raft leader (10-12 s here): retry, bounded.
      const retry = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
        const deadline = Date.now() + 120_000;
        for (;;) {
          try {
            return await f();
          } catch (err) {
            if ((err as { code?: string }).code === '404' || /not found/i.test((err as Error).message) || Date.now() > deadline) throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
            await new Promise((r) => setTimeout(r, 500));
          }
        }
      };
      const info = await retry('stream info', () => jsm.streams.info(stream));
      // the log is Raft-replicated on all three servers
      assert.equal(info.config.num_replicas, 3);
      const ids = new Set<string>();
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const m = await retry(`record ${seq}`, () => jsm.streams.getMessage(stream, { seq })).catch(() => undefined); // a pruned record: 404
        if (m === undefined) continue;
        const h = decodeHeaders(m.header, seq);
        if (h.offsets['q:telemetry'] === undefined) continue;
        const env = decodeEnvelope(Buffer.from(m.data));
        if (env.type === 'batch') ids.add(env.id);
      }
      return ids;
    } finally {
      await nc.close();
    }
  }

  let a: NodeProcess;
  let b: NodeProcess;

  nats.closeFirst(async () => {
    await stopFleet?.();
    for (const c of clients) c.end(true);
    for (const n of nodes) await n.kill();
  });
  before(async () => {
    [a, b] = await Promise.all([startNode('node-a', nats.urls), startNode('node-b', [...nats.urls].reverse())]);
  });

  /** A subscriber on node A holding `filter` (QoS 1) and a publisher on node B, both connected; `got` collects payloads. */
  async function subscribedAcross(subId: string, pubId: string, filter: string): Promise<{ pub: mqtt.MqttClient; got: string[] }> {
    const sub = mqtt.connect(a.url, { clientId: subId });
    const pub = mqtt.connect(b.url, { clientId: pubId });
    clients.push(sub, pub);
    const got: string[] = [];
    sub.on('message', (_t, p) => got.push(p.toString()));
    await Promise.all([connected(sub), connected(pub)]);
    await sub.subscribeAsync(filter, { qos: 1 });
    return { pub, got };
  }

  it('delivers to devices on node A what devices on node B publish', async function () {
    if (!a.crossNode) {
      console.warn('skipping: Broker.notifyRemote(topics) is not wired yet (see docs/scale-out.md, "Wiring")');
      this.skip();
    }
    const { pub, got } = await subscribedAcross('sub-on-a', 'pub-on-b', 'alerts/+/fire');
    // Node A registers the wildcard filter cluster-wide before its SUBACK; node B learns it from a KV watch a
    // moment later, and a publish on B inside that moment is not indexed for it (docs/scale-out.md). So
    // probe until B's publishes reach A, then count what is published after.
    let probes = 0;
    const probing = setInterval(() => void pub.publishAsync('alerts/probe/fire', `probe${probes++}`, { qos: 1 }).catch(() => undefined), 100);
    try {
      await until('a probe from node B on node A', () => got.some((m) => m.startsWith('probe')), 15_000, () => `${probes} probes sent; got ${JSON.stringify(got)}`);
    } finally {
      clearInterval(probing);
    }
    for (let i = 0; i < 20; i++) await pub.publishAsync(`alerts/gw${i % 3}/fire`, `m${i}`, { qos: 1 });
    const real = () => got.filter((m) => !m.startsWith('probe'));
    await until('20 messages on node A', () => real().length >= 20, 30_000, () => `got ${JSON.stringify(got)}; node A's output: ${a.output().slice(-1500)}; node B's: ${b.output().slice(-1500)}`);
    assert.deepEqual(real().sort(), Array.from({ length: 20 }, (_, i) => `m${i}`).sort());
  });

  it("delivers to a device on node A, subscribed to an exact topic, what a device on node B publishes there (node B's sessions hold no such topic)", async function () {
    if (!a.crossNode) this.skip();
    const { pub, got } = await subscribedAcross('exact-on-a', 'exact-pub-on-b', 'alerts/gw7/smoke');
    for (let i = 0; i < 10; i++) await pub.publishAsync('alerts/gw7/smoke', `s${i}`, { qos: 1 });
    await until('10 messages on node A', () => got.length >= 10, 15_000, () => `got ${JSON.stringify(got)}`);
    assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => `s${i}`));
  });

  it('serves a persistent session on another node after its node died: what was queued meanwhile arrives', async function () {
    if (!a.crossNode || !a.sessionsAcrossNodes) {
      console.warn('skipping: Broker.loadStoredSession(clientId) / notifyRemote are not wired yet (see docs/scale-out.md, "Wiring")');
      this.skip();
    }
    const c = await startNode('node-c', nats.urls);
    const dev = mqtt.connect(c.url, { clientId: 'dev-roam', clean: false, protocolVersion: 4, reconnectPeriod: 0 });
    clients.push(dev);
    await connected(dev);
    await dev.subscribeAsync('cmd/dev-roam/+', { qos: 1 });
    await c.kill();
    dev.end(true);
    const op = mqtt.connect(b.url, { clientId: 'operator-roam' });
    clients.push(op);
    await connected(op);
    for (let i = 0; i < 10; i++) await op.publishAsync(`cmd/dev-roam/c${i}`, `cmd${i}`, { qos: 1 });
    const back = mqtt.connect(a.url, { clientId: 'dev-roam', clean: false, protocolVersion: 4 });
    clients.push(back);
    const got: string[] = [];
    let sessionPresent: boolean | undefined;
    back.on('message', (_t, p) => got.push(p.toString()));
    back.once('connect', (ack) => (sessionPresent = ack.sessionPresent));
    await until('10 queued commands on node A', () => got.length >= 10, 15_000);
    assert.equal(sessionPresent, true);
    assert.deepEqual([...new Set(got)].sort(), Array.from({ length: 10 }, (_, i) => `cmd${i}`).sort());
  });

  it('kill -9 one Causeway node: its gateways reconnect to the other and nothing acknowledged is lost', async () => {
    const acked = new Set<string>();
    const fleet = startFleet({ url: a.url, urls: [a.url, b.url], gateways: 20, rateHz: 20, qos: 1, idPrefix: 'fo-', reconnectBaseMs: 100, reconnectMaxMs: 1000, onAcked: (_g, id) => acked.add(id) });
    stopFleet = () => fleet.stop();
    await fleet.allConnected(20_000);
    await until('acks through both nodes', () => fleet.stats.acked > 300, 20_000);
    await a.kill();
    await until('all 20 gateways back (on node B)', () => fleet.report().connected === 20 && fleet.stats.reconnects >= 10, 30_000, () => `${JSON.stringify(fleet.report())}; node B's output: ${b.output().slice(-1500)}`);
    const ackedAtFailover = fleet.stats.acked;
    await until('telemetry flowing through node B', () => fleet.stats.acked > ackedAtFailover + 300, 20_000);
    const report = await fleet.stop();
    stopFleet = undefined;
    assert.ok(report.reconnects >= 10, `reconnects ${report.reconnects}`);
    const stored = await storedBatchIds(nats.urls);
    const lost = [...acked].filter((id) => !stored.has(id));
    assert.deepEqual(lost.slice(0, 10), [], `${lost.length} of ${acked.size} acknowledged batches missing from the log`);
  });

  // The Raft re-election after the kill takes 10-12 s alone and longer on a loaded 2-core CI machine:
  // the budget is generous, and the verification waits for the cluster to answer before reading.
  it('kill -9 one nats node: service continues and nothing acknowledged is lost', async function () {
    this.timeout(360_000);
    const acked = new Set<string>();
    const fleet = startFleet({ url: b.url, gateways: 10, rateHz: 20, qos: 1, idPrefix: 'nk-', reconnectBaseMs: 100, reconnectMaxMs: 1000, onAcked: (_g, id) => acked.add(id) });
    stopFleet = () => fleet.stop();
    await fleet.allConnected(20_000);
    await until('acks before', () => fleet.stats.acked > 200, 20_000);
    await nats.nodes[0]!.kill();
    const atKill = fleet.stats.acked;
    await until('acks after a nats node died', () => fleet.stats.acked > atKill + 400, 150_000);
    await fleet.stop();
    stopFleet = undefined;
    const stored = await storedBatchIds(nats.urls.slice(1));
    const lost = [...acked].filter((id) => !stored.has(id));
    assert.deepEqual(lost.slice(0, 10), [], `${lost.length} of ${acked.size} acknowledged batches missing from the log`);
  });
});
