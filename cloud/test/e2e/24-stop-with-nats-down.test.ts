import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { natsForSuite } from '../store/jetstream-server.js';
import { type BrokerProcess, removeDir, startBroker, tempDir } from './fixtures/broker-process.js';

/**
 * Issue 23: a node sent SIGTERM while every nats-server was down logged "stopped" and was still running
 * 8 s later. A real causeway-cloud process on a real nats-server, which is killed; the node must exit
 * within node.drainTimeoutMs.
 */
describe('cloud e2e 24: SIGTERM with every nats-server down ends the process within the drain timeout @e2e', function () {
  this.timeout(60_000);
  const nats = natsForSuite(1);
  let dir: string | undefined;
  let node: BrokerProcess | undefined;

  nats.closeFirst(async () => {
    if (node !== undefined && node.proc.exitCode === null && node.proc.signalCode === null) await node.kill9();
  });
  before(() => {
    dir = tempDir('e2e24');
  });
  after(() => {
    if (dir !== undefined) removeDir(dir);
  });

  it('exits with 0 within node.drainTimeoutMs', async () => {
    const drainTimeoutMs = 3000;
    node = await startBroker(dir!, [
      '--store.backend', 'jetstream',
      '--store.jetstream.servers', nats.urls.join(','),
      '--store.jetstream.prefix', `e24${randomBytes(3).toString('hex')}`,
      '--node.drainTimeoutMs', String(drainTimeoutMs),
    ]);
    await nats.stop();
    // Let the node notice: its NATS client is now reconnecting, its command tick timing out.
    await new Promise((r) => setTimeout(r, 1500));
    const proc = node.proc;
    const t0 = Date.now();
    const exited = new Promise<{ code: number | null; ms: number }>((resolve) => proc.once('exit', (code) => resolve({ code, ms: Date.now() - t0 })));
    proc.kill('SIGTERM');
    const guard = new Promise<{ code: number | null; ms: number }>((resolve) => setTimeout(() => resolve({ code: null, ms: Infinity }), drainTimeoutMs + 15_000).unref());
    const { code, ms } = await Promise.race([exited, guard]);
    // Generous slack over the bound for a loaded machine; before the fix it never exited.
    assert.ok(ms <= drainTimeoutMs + 3000, `still running ${ms} ms after SIGTERM:\n${node.lines.slice(-5).join('\n')}`);
    assert.equal(code, 0);
    assert.ok(node.lines.some((l) => l.includes('"msg":"draining"')));
  });
});
