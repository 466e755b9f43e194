import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { startCompetitor, stopAllCompetitors, type RunningBroker } from '../lib/competitors.js';
import { cpuSeconds, runFanIn, runFanOut } from '../lib/load.js';

describe('bench load helpers @e2e', function () {
  this.timeout(60_000);
  let broker: RunningBroker;
  before(async () => {
    broker = await startCompetitor('mosquitto', { persistence: false });
  });
  after(stopAllCompetitors);

  for (const qos of [0, 1] as const) {
    it(`fans 1 publisher out to 20 subscribers at QoS ${qos} and counts every delivery once`, async () => {
      const r = await runFanOut({ url: broker.url, brokerPid: broker.pid, protocolVersion: 4, prefix: `t-fo${qos}`, subscribers: 20, qos, messages: 150, durationMs: 20_000, payloadBytes: 32, window: 5 });
      assert.equal(r.stopReason, 'count');
      assert.equal(r.published, 150);
      assert.equal(r.expected, 3000);
      assert.equal(r.delivered, 3000);
      assert.equal(r.latency.count, 3000);
      if (qos === 1) assert.equal(r.acked, 150);
      assert.ok(r.deliveredPerSec > 0 && r.latency.percentile(99) > 0);
      assert.ok(r.cpu.brokerS >= 0 && r.cpu.generatorS > 0 && r.cpu.wallMs > 0, JSON.stringify(r.cpu));
      // 3.1.1 PUBLISH: fixed header 2, topic length 2 + "bench/fan-out/t-foN" (19), packet id 2 at QoS 1, payload 32
      assert.equal(r.bytesPerDelivery, 2 + 2 + 19 + (qos === 1 ? 2 : 0) + 32);
    });
  }

  it('fans 5 QoS 1 publishers in, counting each PUBACK once and every acked message delivered', async () => {
    const r = await runFanIn({ url: broker.url, protocolVersion: 4, prefix: 't-fi', publishers: 5, messages: 1000, durationMs: 20_000, payloadBytes: 32, inflight: 4, subscribe: true });
    assert.equal(r.stopReason, 'count');
    assert.equal(r.published, 1000);
    assert.equal(r.acked, 1000);
    assert.equal(r.delivered, 1000);
    assert.equal(r.latency.count, 1000);
  });

  it('stops at the duration cap when the message cap is out of reach', async () => {
    const started = Date.now();
    const r = await runFanIn({ url: broker.url, protocolVersion: 4, prefix: 't-cap', publishers: 2, messages: 10_000_000, durationMs: 500, payloadBytes: 32, inflight: 2, subscribe: false });
    assert.equal(r.stopReason, 'duration');
    assert.ok(Date.now() - started < 10_000);
    assert.ok(Number.isNaN(r.cpu.brokerS), 'no brokerPid, no broker CPU figure');
    assert.equal(r.acked, r.published);
  });

  it('reports stalled, not a hang, when the broker stops answering', async () => {
    const b = await startCompetitor('mosquitto', { persistence: false });
    // SIGSTOP: the socket stays open but nothing comes back.
    const running = runFanOut({ url: b.url, protocolVersion: 4, prefix: 't-stall', subscribers: 3, qos: 0, messages: 1_000_000, durationMs: 20_000, payloadBytes: 32, window: 5, stallMs: 500 });
    await new Promise((res) => setTimeout(res, 300));
    process.kill(b.pid, 'SIGSTOP');
    try {
      const r = await running;
      assert.equal(r.stopReason, 'stalled');
      assert.ok(r.delivered < r.published * 3);
    } finally {
      process.kill(b.pid, 'SIGCONT');
      await b.stop();
    }
  });

  it('reads a live process\'s CPU time from /proc', () => {
    assert.ok(cpuSeconds(process.pid) > 0);
    assert.ok(Number.isNaN(cpuSeconds(2 ** 22 + 12345)));
  });

  it('reads the main thread\'s CPU apart from the other threads\'', async () => {
    const all0 = cpuSeconds(process.pid);
    const main0 = cpuSeconds(process.pid, process.pid);
    assert.ok(main0 > 0 && main0 <= all0, `main ${main0} s of ${all0} s`);
    // A worker thread spins for 400 ms while the main thread sleeps: the process's CPU grows, the main thread's hardly.
    const spinner = new Worker('const end = Date.now() + 400; while (Date.now() < end);', { eval: true });
    await once(spinner, 'exit');
    const all = cpuSeconds(process.pid) - all0;
    const main = cpuSeconds(process.pid, process.pid) - main0;
    assert.ok(all >= 0.3, `process CPU ${all} s`);
    assert.ok(main < all - 0.2, `main thread ${main} s of ${all} s`);
    assert.ok(Number.isNaN(cpuSeconds(process.pid, 2 ** 22 + 12345)), 'no such thread');
  });
});
