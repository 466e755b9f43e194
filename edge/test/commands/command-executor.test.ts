import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandExecutor } from '../../src/commands/command-executor.js';
import { CommandInbox } from '../../src/commands/command-inbox.js';
import { createBuiltins } from '../../src/commands/builtins.js';
import { encodeEnvelope, CausewayError, type CommandEnvelope, silentLogger } from '@causeway/shared';
import { RecordingResults, TableRouter } from './fakes.js';

const cmd = (id: string, name: string, extra: Partial<CommandEnvelope> = {}): Buffer =>
  encodeEnvelope({ v: 1, type: 'command', id, name, args: {}, issuedAt: 1, ...extra });

describe('edge/commands/command-executor', () => {
  let dir: string;
  let inbox: CommandInbox;
  let results: RecordingResults;
  let router: TableRouter;
  let exec: CommandExecutor;
  let clock: number;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cw-inbox-'));
    inbox = new CommandInbox(join(dir, 'inbox.db'));
    results = new RecordingResults();
    clock = 10_000;
    router = new TableRouter({
      relay: async (args) => ({ relay: args.on ?? false }),
      broken: async () => {
        throw new Error('relay stuck');
      },
      picky: async () => {
        throw new CausewayError('COMMAND_REJECTED', 'unknown command for this device');
      },
      slow: (_a, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
    });
    exec = new CommandExecutor({
      gateway: 'gw1',
      inbox,
      results,
      router,
      builtins: createBuiltins({ status: () => ({ link: 'up' }), flush: async () => ({ flushed: 3 }), restart: () => {} }),
      logger: silentLogger,
      timeoutMs: 200,
      now: () => clock,
    });
  });
  afterEach(async () => {
    await exec.stop();
    inbox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const CASES: Array<[string, string, Partial<CommandEnvelope>, string[]]> = [
    ['a device command that succeeds', 'cmd/gw1/relay/c1', {}, ['DELIVERED', 'SUCCEEDED']],
    ['a device command that fails', 'cmd/gw1/broken/c1', {}, ['DELIVERED', 'FAILED']],
    ['a device command the device refuses', 'cmd/gw1/picky/c1', {}, ['DELIVERED', 'REJECTED']],
    ['a device that does not answer in time', 'cmd/gw1/slow/c1', {}, ['DELIVERED', 'TIMED_OUT']],
    ['a device this gateway does not have', 'cmd/gw1/ghost/c1', {}, ['DELIVERED', 'REJECTED']],
    ['an expired command', 'cmd/gw1/relay/c1', { expiresAt: 5_000 }, ['DELIVERED', 'EXPIRED']],
    ['a built-in gateway command', 'cmd/gw1/gw1/c1', { name: 'ping' }, ['DELIVERED', 'SUCCEEDED']],
    ['an unknown gateway command', 'cmd/gw1/gw1/c1', { name: 'self-destruct' }, ['DELIVERED', 'REJECTED']],
    ['a broadcast', 'cmd-all/c1', { name: 'report-status' }, ['DELIVERED', 'SUCCEEDED']],
    ['a group command', 'cmd-group/north/c1', { name: 'flush-buffer' }, ['DELIVERED', 'SUCCEEDED']],
  ];
  for (const [what, topic, extra, statuses] of CASES) {
    it(`answers ${what}: ${statuses.join(' → ')}`, async () => {
      await exec.receive(topic, cmd('c1', extra.name ?? 'set-relay', extra));
      await exec.idle();
      assert.deepEqual(results.statuses(), statuses);
      const last = results.results.at(-1)!;
      assert.equal(last.gateway, 'gw1');
      assert.equal(last.commandId, 'c1');
      if (last.status !== 'SUCCEEDED') assert.ok((last.error ?? '').length > 0, 'a failure carries its reason');
    });
  }

  it('runs a redelivered command once and answers it from the stored result', async () => {
    await exec.receive('cmd/gw1/relay/c7', cmd('c7', 'set-relay', { args: { on: true } }));
    await exec.idle();
    await exec.receive('cmd/gw1/relay/c7', cmd('c7', 'set-relay', { args: { on: true } }));
    await exec.idle();
    assert.equal(router.runs.length, 1);
    assert.deepEqual(results.statuses(), ['DELIVERED', 'SUCCEEDED', 'SUCCEEDED']);
    assert.equal(results.results[1]!.id, results.results[2]!.id, 'same result id: the cloud drops the copy');
    assert.deepEqual(results.results[2]!.output, { relay: true });
    assert.equal(exec.counters.duplicates, 1);
  });

  const GARBAGE: Array<[string, string, Buffer, string[]]> = [
    ['garbage bytes', 'cmd/gw1/relay/c9', Buffer.from([0xca, 0x09, 0x01]), ['REJECTED']],
    ['a payload whose id differs from the topic', 'cmd/gw1/relay/c9', cmd('other', 'x'), ['REJECTED']],
    ['a topic that is not a command', 'telemetry/gw1/relay/x', cmd('c9', 'x'), []],
  ];
  for (const [what, topic, payload, statuses] of GARBAGE) {
    it(`survives ${what}`, async () => {
      await exec.receive(topic, payload);
      await exec.idle();
      assert.deepEqual(results.statuses(), statuses);
      assert.equal(exec.counters.malformed, 1);
      assert.equal(router.runs.length, 0);
    });
  }
  describe('recovery racing redelivery (issue 22)', () => {
    /** A result sink whose commits wait for open(): the 1 s group commit that made the race easy to hit. */
    class GatedResults extends RecordingResults {
      #open!: () => void;
      readonly #gate = new Promise<void>((r) => (this.#open = r));
      override async sendResult(r: Parameters<RecordingResults['sendResult']>[0]): Promise<void> {
        await this.#gate;
        return super.sendResult(r);
      }
      open(): void {
        this.#open();
      }
    }
    const restarted = (sink: RecordingResults): CommandExecutor =>
      new CommandExecutor({ gateway: 'gw1', inbox, results: sink, router, builtins: {}, logger: silentLogger, timeoutMs: 200, now: () => clock });

    it('a command redelivered while recovery still answers an interrupted one runs once', async () => {
      // Before the "crash": a1 was running on the device, b1 was received and not started.
      const env = (id: string): CommandEnvelope => ({ v: 1, type: 'command', id, name: 'set-relay', args: {}, issuedAt: 1 });
      inbox.admit(env('a1'), 'relay', clock);
      assert.equal(inbox.claim('a1', 'relay'), true);
      inbox.admit(env('b1'), 'relay', clock);
      const sink = new GatedResults();
      const again = restarted(sink);
      const recovering = again.recover();
      // The persistent session redelivers b1 and brings c1 while the FAILED answer for a1 is committing.
      await again.receive('cmd/gw1/relay/b1', cmd('b1', 'set-relay'));
      await again.receive('cmd/gw1/relay/c1', cmd('c1', 'set-relay'));
      sink.open();
      await recovering;
      await again.idle();
      await again.stop();
      const runs = router.runs.length;
      assert.equal(runs, 2, 'b1 and c1 each ran exactly once, a1 not again');
      const byCommand = (id: string): string[] => sink.results.filter((r) => r.commandId === id).map((r) => r.status);
      assert.deepEqual(byCommand('a1'), ['FAILED']);
      assert.equal(byCommand('b1').at(-1), 'SUCCEEDED');
      assert.equal(byCommand('c1').filter((s) => s === 'SUCCEEDED').length, 1);
    });

    it('only one claim of a received command succeeds, and it is committed', () => {
      inbox.admit({ v: 1, type: 'command', id: 'd1', name: 'set-relay', args: {}, issuedAt: 1 }, 'relay', clock);
      assert.equal(inbox.claim('d1', 'relay'), true);
      assert.equal(inbox.claim('d1', 'relay'), false);
      const other = new CommandInbox(join(dir, 'inbox.db')); // another connection sees the committed claim
      try {
        assert.equal(other.get('d1', 'relay')!.state, 'RUNNING');
        assert.equal(other.claim('d1', 'relay'), false);
      } finally {
        other.close();
      }
    });
  });
});
