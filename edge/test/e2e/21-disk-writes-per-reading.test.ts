import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readWriteBytes } from '../../../bench/lib/process-sampler.js';
import { startAgent, type Agent } from '../helpers/agent.js';
import { forwardRig } from '../helpers/forward-rig.js';

const T0 = 1_700_000_000_000;

/**
 * Issue 16: SD-card wear. At ~100 readings/s with the link up, the agent in its default config writes at
 * most 3× the payload per reading to disk (write_bytes of /proc/PID/io: what reached the block layer —
 * WAL frames, checkpoints). The same run with the direct path off is the contrast: every reading is
 * committed, then deleted, and the bound does not hold, so this test fails if the direct path stops
 * working. Measured on steady state, after a warm-up (tsx's compile cache, the first id block).
 */
describe('edge e2e 21-disk-writes-per-reading: bytes written per reading at ~100 readings/s @e2e', function () {
  this.timeout(90_000);
  const rig = forwardRig('e2e21');

  /** Feeds ~`rate` readings/s for `ms`, paced by the clock; returns the JSON lines' total bytes. */
  const feed = async (a: Agent, from: number, rate: number, ms: number): Promise<{ n: number; bytes: number }> => {
    const t0 = Date.now();
    let n = 0;
    let bytes = 0;
    while (Date.now() - t0 < ms) {
      const due = Math.floor(((Date.now() - t0) * rate) / 1000);
      for (; n < due; n++) {
        const ts = T0 + from + n;
        const line = JSON.stringify({ device: `dev${n % 10}`, stream: 'temp', ts, value: 20 + (n % 100) / 10, unit: 'C' });
        a.sendRaw(line);
        bytes += line.length;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    return { n, bytes };
  };

  const measure = async (name: string, extra: string[]): Promise<{ perReading: number; payload: number; n: number }> => {
    const a = startAgent(['--gateway.id', `gw-e2e21-${name}`, '--cloud.url', rig.broker.url, '--store.path', join(rig.dir, `${name}.db`), '--log.level', 'warn', ...extra]);
    rig.agents.push(a);
    const warm = await feed(a, 0, 100, 2000);
    await a.waitAck(warm.n, 15_000);
    const w0 = readWriteBytes(a.proc.pid!);
    const run = await feed(a, warm.n, 100, 6000);
    await a.waitAck(warm.n + run.n, 15_000);
    await new Promise((r) => setTimeout(r, 1500)); // pending deletes and the housekeeping tick land inside the window
    const w1 = readWriteBytes(a.proc.pid!);
    await a.kill('SIGTERM');
    assert.ok(Number.isFinite(w0) && Number.isFinite(w1), 'this kernel reports /proc/PID/io write_bytes');
    return { perReading: (w1 - w0) / run.n, payload: run.bytes / run.n, n: run.n };
  };

  it('default config: at most 3× the payload per reading; with the direct path off, more', async () => {
    const direct = await measure('direct', []);
    const naive = await measure('committed', ['--buffer.direct', 'false']);
    console.log(`      payload ${direct.payload.toFixed(0)} bytes/reading; written per reading: direct path ${direct.perReading.toFixed(0)}, every reading committed ${naive.perReading.toFixed(0)} (${direct.n} and ${naive.n} readings)`);
    assert.ok(direct.n > 400 && naive.n > 400, 'the feed kept its rate');
    assert.ok(direct.perReading <= 3 * direct.payload, `direct path: ${direct.perReading.toFixed(0)} bytes written per reading > 3 × ${direct.payload.toFixed(0)}`);
    assert.ok(naive.perReading > 3 * naive.payload, `the contrast (every reading committed, ${naive.perReading.toFixed(0)} bytes per reading) shows what the bound measures`);
  });
});
