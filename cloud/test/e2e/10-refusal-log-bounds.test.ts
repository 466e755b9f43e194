import assert from 'node:assert/strict';
import mqtt, { type IClientOptions } from 'mqtt';
import { removeDir, startBroker, tempDir, type BrokerProcess } from './fixtures/broker-process.js';

/**
 * Issue 23 item 7: an unauthenticated peer must not be able to inflate the log. The real causeway-cloud
 * process with authentication on; refused CONNECTs carrying a 60 KB client id, then many while banned.
 */
describe('e2e 10: refusal logs stay bounded @e2e', function () {
  this.timeout(60_000);
  let dir: string;
  let broker: BrokerProcess;
  const BIG_ID = 'x'.repeat(60_000);

  const refusedCode = (opts: IClientOptions): Promise<number | undefined> =>
    new Promise((resolve) => {
      const c = mqtt.connect(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0, connectTimeout: 10_000, protocolVersion: 5, ...opts });
      c.once('connect', () => {
        c.end(true);
        resolve(undefined);
      });
      c.once('error', (e: Error & { code?: number }) => {
        c.end(true);
        resolve(e.code);
      });
      c.once('close', () => resolve(-1));
    });
  const bytes = (lines: string[]): number => lines.reduce((n, l) => n + l.length + 1, 0);

  before(async () => {
    dir = tempDir('refusal-log');
    broker = await startBroker(dir, ['--auth.allowAnonymous', 'false', '--auth.failures.burst', '3', '--auth.failures.refillPerSecond', '0.001']);
  });
  after(async () => {
    if (broker.proc.exitCode === null) await broker.stop();
    removeDir(dir);
  });

  it('logs a 60 KB client id clipped, with its length', async () => {
    const start = broker.lines.length;
    assert.equal(await refusedCode({ clientId: BIG_ID, username: 'nobody', password: 'wrong' }), 0x86);
    const line = await waitFor(() => broker.lines.slice(start).find((l) => l.includes('"connection refused"')));
    assert.ok(line.length < 1000, `refusal line of ${line.length} chars`);
    assert.match(line, /x… \(60000 chars\)/);
  });

  it('40 CONNECTs while banned grow the log by a bounded amount, and the left-out lines are counted', async () => {
    const start = broker.lines.length;
    const codes: Array<number | undefined> = [];
    for (let i = 0; i < 40; i++) codes.push(await refusedCode({ clientId: BIG_ID, username: BIG_ID, password: `guess-${i}` }));
    assert.deepEqual(codes.slice(0, 2), [0x86, 0x86], 'the first wrong guesses are checked');
    assert.ok(codes.slice(3).every((c) => c === 0x8a), `then banned: ${codes.join(',')}`);
    // Before the fix each refusal logged the 60 KB id twice (client id and reason): about 5 MB here.
    const grown = bytes(broker.lines.slice(start));
    assert.ok(grown < 20_000, `40 refused CONNECTs added ${grown} bytes of log`);
    const refusals = broker.lines.slice(start).filter((l) => l.includes('"connection refused"')).length;
    assert.ok(refusals <= 10, `${refusals} refusal lines for 40 CONNECTs`);
    const before = broker.lines.length;
    await broker.stop();
    const summary = broker.lines.slice(before).map((l) => l.trim()).filter((l) => l.includes('similar log lines suppressed'));
    const suppressed = summary.reduce((n, l) => n + (JSON.parse(l) as { suppressed: number }).suppressed, 0);
    assert.equal(suppressed + refusals, 40, `every refusal is either logged or counted: ${summary.join('\n')}`);
  });
});

async function waitFor<T>(get: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
