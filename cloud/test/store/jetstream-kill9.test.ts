import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { openJetStreamStore } from '../../src/store/jetstream/jetstream-store.js';
import { natsForSuite } from './jetstream-server.js';
import { makeMessage } from '../../../broker/test/store/store-contract.js';
import { runAppender, type Printed } from '../../../broker/test/store/fixtures/run-appender.js';

/** Acknowledged means in JetStream: killing the appender, or the nats-server, loses none of it. */
describe('jetstream store: kill -9 while appending @e2e', function () {
  this.timeout(90_000);
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const fixture = fileURLToPath(new URL('./jetstream-append-loop.ts', import.meta.url));
  const nats = natsForSuite(1);
  const children: ChildProcess[] = [];

  nats.closeFirst(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  /** Runs the appender; `onAcks(n)` is called as acks arrive; resolves with what it printed once it is killed. */
  const appender = (prefix: string, start: number, onAcks: (n: number, child: ChildProcess) => void): Promise<Printed[]> =>
    runAppender({ root, fixture, args: [nats.urls[0]!, prefix, String(start)], guardMs: 60_000, children, onAcks });

  async function assertAllPresent(prefix: string, printed: Printed[]): Promise<void> {
    const store = await openJetStreamStore({ servers: nats.urls, prefix });
    try {
      const q = new Map((await store.log.read('q:telemetry', 1, 1_000_000)).map((e) => [e.offset, e.message]));
      for (const p of printed) {
        const m = q.get(p.offsets['q:telemetry']!);
        assert.ok(m, `acknowledged append #${p.i} (id ${p.id}) lost`);
        assert.equal(m.id, p.id);
        assert.equal(m.payload.toString(), `reading-${p.i}-`.padEnd(256, 'x'));
      }
      // dense: every offset below next is there
      assert.equal(q.size, (await store.log.nextOffset('q:telemetry')) - 1);
      const last = printed[printed.length - 1]!;
      assert.deepEqual(await store.log.append(makeMessage('telemetry/gw1/dev0/temp', 'dup'), ['q:telemetry'], { dedupeKey: `gw1:${last.i}` }), { duplicate: true });
    } finally {
      await store.close();
    }
  }

  it('keeps every acknowledged append when the appender is killed, twice', async () => {
    const prefix = `k${randomBytes(4).toString('hex')}`;
    const killAt = (min: number) => (n: number, child: ChildProcess) => {
      if (n >= min && child.signalCode === null) child.kill('SIGKILL');
    };
    const first = await appender(prefix, 0, killAt(500));
    await assertAllPresent(prefix, first);
    const second = await appender(prefix, 1_000_000, killAt(500));
    await assertAllPresent(prefix, [...first, ...second]);
  });

  it('keeps every acknowledged append when the nats-server is killed mid-stream and restarted', async () => {
    const prefix = `s${randomBytes(4).toString('hex')}`;
    const node = nats.nodes[0]!;
    let phase = 0;
    let acksAtRestart = 0;
    const printed = await appender(prefix, 0, (n, child) => {
      if (phase === 0 && n >= 300) {
        phase = 1;
        void node.kill().then(() => node.restart()).then(() => {
          phase = 2;
          acksAtRestart = n;
        });
      } else if (phase === 2 && n >= acksAtRestart + 300 && child.signalCode === null) {
        child.kill('SIGKILL');
      }
    });
    assert.ok(printed.length >= 600, `only ${printed.length} acks`);
    await assertAllPresent(prefix, printed);
  });
});
