import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventEnvelope } from '@causeway/shared';
import { startFaultProxy, type FaultProxy } from '@causeway/sim/fault-proxy/fault-proxy.js';
import { startAgent, type Agent } from '../helpers/agent.js';
import { startCollector, type Collector } from '../helpers/collector.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';

const T0 = 1_700_000_000_000;

describe('edge e2e 02-outage-resend: link cut by the fault proxy @e2e', function () {
  this.timeout(90_000);
  let broker: Mosquitto;
  let proxy: FaultProxy;
  let sub: Collector;
  let dir: string;
  const agents: Agent[] = [];
  const fastLink = ['--cloud.keepaliveSeconds', '2', '--cloud.connectTimeoutSeconds', '2', '--cloud.backoffBaseMs', '200', '--cloud.backoffMaxMs', '1000'];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edge-e2e02-'));
    broker = await startMosquitto();
    sub = await startCollector(broker.url);
  });
  beforeEach(async () => {
    proxy = await startFaultProxy({ targetPort: broker.port });
  });
  afterEach(async () => {
    for (const a of agents.splice(0)) await a.kill('SIGKILL');
    await proxy.close();
  });
  after(async () => {
    await sub?.close();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const onlineCount = (gw: string): number => sub.all.filter((m) => m.topic === `status/${gw}` && m.env.type === 'status' && m.env.online).length;

  for (const fault of ['cut', 'blackhole'] as const) {
    it(`readings produced during a ${fault} all arrive after restore`, async () => {
      const gw = `gw-e2e2-${fault}`;
      const agent = startAgent(['--gateway.id', gw, '--cloud.url', `mqtt://127.0.0.1:${proxy.port}`, '--store.path', join(dir, `${fault}.db`), ...fastLink]);
      agents.push(agent);
      for (let i = 0; i < 100; i++) agent.send({ device: fault, stream: 't', ts: T0 + i, value: i });
      await agent.waitAck(100, 15_000);
      await sub.waitFor(() => [...sub.readings.keys()].filter((k) => k.startsWith(`${fault}/t/`)).length === 100 && onlineCount(gw) >= 1, 15_000, 'first 100 readings');
      if (fault === 'cut') proxy.cut();
      else proxy.blackhole();
      const seen = sub.readings.size;
      for (let i = 100; i < 600; i++) agent.send({ device: fault, stream: 't', ts: T0 + i, value: i });
      await agent.waitAck(600, 15_000);
      await new Promise((r) => setTimeout(r, fault === 'blackhole' ? 5000 : 1000)); // long enough for keepalive to notice a blackhole
      assert.equal(sub.readings.size, seen, 'nothing passes while the link is down');
      proxy.restore();
      await sub.waitFor(() => onlineCount(gw) >= 2, 20_000, 'reconnect');
      await sub.waitFor(() => sub.readings.size === seen + 500, 20_000, 'the 500 buffered readings');
      for (let i = 0; i < 600; i++) assert.ok(sub.readings.has(`${fault}/t/${T0 + i}`), `reading ${i} arrived`);
    });
  }

  it('SIGTERM with batches in flight on a blackholed link exits 0 within the drain timeout; nothing is lost', async () => {
    const gw = 'gw-e2e2-term';
    const store = join(dir, 'term.db');
    const args = ['--gateway.id', gw, '--store.path', store, ...fastLink, '--uplink.drainTimeoutMs', '1000'];
    const agent = startAgent([...args, '--cloud.url', `mqtt://127.0.0.1:${proxy.port}`]);
    agents.push(agent);
    await sub.waitFor(() => onlineCount(gw) >= 1, 10_000, 'online');
    proxy.blackhole();
    for (let i = 0; i < 200; i++) agent.send({ device: 'term', stream: 't', ts: T0 + i, value: i });
    await agent.waitAck(200, 10_000);
    await new Promise((r) => setTimeout(r, 300)); // batches go out into the void
    const t0 = Date.now();
    agent.proc.kill('SIGTERM');
    const { code } = await agent.exited;
    assert.equal(code, 0);
    assert.ok(Date.now() - t0 < 9000, `exited in ${Date.now() - t0} ms`); // drain 1 s + offline status ≤ 1 s + close ≤ 1 s, on a loaded machine
    // the unacknowledged rows are still in the outbox: a new agent on a good link delivers them
    const again = startAgent([...args, '--cloud.url', broker.url]);
    agents.push(again);
    await sub.waitFor(() => Array.from({ length: 200 }, (_, i) => `term/t/${T0 + i}`).every((k) => sub.readings.has(k)), 15_000, 'all 200 after restart');
  });

  it('at the cap, evicts bulk then the oldest telemetry, and the reported counters match what is missing', async () => {
    const gw = 'gw-e2e2-cap';
    proxy.cut(); // the agent starts offline and stays so while the buffer overflows
    const agent = startAgent(['--gateway.id', gw, '--cloud.url', `mqtt://127.0.0.1:${proxy.port}`, '--store.path', join(dir, 'cap.db'), '--buffer.maxBytes', '20000', ...fastLink]);
    agents.push(agent);
    const lines: Array<{ stream: string; ts: number }> = [];
    for (let i = 0; i < 100; i++) lines.push({ stream: 'bulk', ts: T0 + i });
    for (let i = 0; i < 400; i++) lines.push({ stream: 'tele', ts: T0 + i });
    for (const l of lines) agent.send({ device: 'cap', stream: l.stream, ts: l.ts, value: l.ts, priority: l.stream === 'bulk' ? 'bulk' : 'telemetry' });
    await agent.waitAck(lines.length, 15_000);
    const committed = lines.filter((_, i) => !agent.nacked.has(i + 1));
    await new Promise((r) => setTimeout(r, 1200)); // the eviction report is rate-limited to one per second
    proxy.restore();
    const report = (): EventEnvelope | undefined => sub.events.filter((e) => e.gateway === gw && e.event === 'outbox-eviction').at(-1);
    const arrived = (stream: string): number[] => committed.filter((l) => l.stream === stream && sub.readings.has(`cap/${stream}/${l.ts}`)).map((l) => l.ts);
    await sub.waitFor(() => {
      const r = report()?.data as { evicted: { bulk: number; telemetry: number } } | undefined;
      if (!r) return false;
      return r.evicted.bulk + r.evicted.telemetry + arrived('bulk').length + arrived('tele').length === committed.length;
    }, 20_000, 'readings + reported evictions to account for every committed reading').catch((err) => {
      console.error(JSON.stringify(report()), arrived('bulk').length, arrived('tele').length, committed.length, agent.nacked.size, agent.stderr, JSON.stringify(agent.logs.filter((l) => l.level !== 'debug').slice(-5)));
      throw err;
    });
    const data = report()!.data as { evicted: { bulk: number; telemetry: number; alarm: number } };
    const tele = committed.filter((l) => l.stream === 'tele').map((l) => l.ts);
    const got = arrived('tele');
    assert.equal(arrived('bulk').length, 0, 'bulk goes first');
    assert.ok(got.length > 100 && got.length < 400, `some telemetry survives the cap (${got.length})`);
    assert.deepEqual(got, tele.slice(tele.length - got.length), 'the survivors are the newest telemetry');
    assert.equal(data.evicted.telemetry, tele.length - got.length);
    assert.equal(data.evicted.bulk, committed.filter((l) => l.stream === 'bulk').length);
    assert.equal(data.evicted.alarm, 0);
  });
});
