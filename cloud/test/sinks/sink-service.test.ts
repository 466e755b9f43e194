import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerStore, createMemoryStore } from '@causeway/broker';
import { createLogger } from '@causeway/shared';
import type { ControlStore } from '../../src/control/control-store.js';
import { openSqliteControlStore } from '../../src/control/sqlite-control-store.js';
import { QueueService } from '../../src/queues/queue-service.js';
import { SinkService } from '../../src/sinks/sink-service.js';
import { parseSink, type SinkSpec } from '../../src/sinks/sink-spec.js';
import type { SinkTarget, WriteOutcome } from '../../src/sinks/targets/target.js';

class CountingTarget implements SinkTarget {
  closed = false;
  constructor(readonly describe: string) {}
  async write(): Promise<WriteOutcome> {
    return { ok: true };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const sink = (name: string, extra: Record<string, unknown> = {}): SinkSpec =>
  parseSink({ name, queue: 'telemetry', target: { type: 'webhook', url: `http://127.0.0.1:1/${name}`, secretFile: '/k' }, ...extra }, name);

describe('sinks/sink-service: pauses kept in the control store, SIGHUP reloads', () => {
  let dir: string;
  let store: BrokerStore;
  let control: ControlStore;
  let targets: CountingTarget[];
  const logger = createLogger({ level: 'silent', name: 'test' });
  const service = (specs: SinkSpec[], makeTarget?: (s: SinkSpec) => SinkTarget): SinkService =>
    new SinkService(specs, {
      queues: new QueueService(store.log, store.offsets, { visibilityTimeoutMs: 30_000, window: 100 }),
      member: 'n1',
      logger,
      deadLetter: async () => undefined,
      pauses: control.sinks,
      makeTarget:
        makeTarget ??
        ((s) => {
          const t = new CountingTarget(s.target.type === 'webhook' ? s.target.url : s.name);
          targets.push(t);
          return t;
        }),
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'causeway-sinks-'));
    store = createMemoryStore();
    control = openSqliteControlStore(join(dir, 'control.db'));
    targets = [];
  });
  afterEach(async () => {
    await control.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a pause and a resume outlive a restart, and win over the config\'s `paused`', async () => {
    const first = service([sink('a'), sink('b', { paused: true })]);
    await first.start();
    await first.pause('a');
    await first.resume('b');
    assert.deepEqual([first.get('a').paused, first.get('b').paused], [true, false]);
    await first.stop();
    await control.close();

    control = openSqliteControlStore(join(dir, 'control.db')); // the restarted cloud opens control.db again
    const second = service([sink('a'), sink('b', { paused: true }), sink('c', { paused: true })]);
    await second.start();
    assert.deepEqual([second.get('a').paused, second.get('b').paused, second.get('c').paused], [true, false, true], 'a: kept paused; b: kept resumed; c: as configured');
    assert.equal((await second.status('a')).state, 'paused');
    await second.stop();
  });

  it('a reload starts added sinks, stops removed ones, restarts changed ones and leaves the rest running', async () => {
    const s = service([sink('keep'), sink('gone'), sink('change')]);
    await s.start();
    const keep = s.get('keep');
    const change = s.get('change');
    assert.equal(await s.reload(() => [sink('keep'), sink('change', { maxMessages: 10 }), sink('new')]), true);
    assert.deepEqual(s.names().sort(), ['change', 'keep', 'new']);
    assert.equal(s.get('keep'), keep, 'an unchanged sink is not restarted');
    assert.notEqual(s.get('change'), change);
    assert.equal(s.get('change').spec.maxMessages, 10);
    assert.equal(change.state, 'stopped');
    assert.deepEqual(targets.map((t) => [t.describe.replace('http://127.0.0.1:1/', ''), t.closed]), [
      ['keep', false],
      ['gone', true],
      ['change', true],
      ['change', false],
      ['new', false],
    ]);
    assert.throws(() => s.get('gone'), /no sink "gone"/);
    assert.deepEqual(s.reloads, { ok: 1, failed: 0 });
    await s.stop();
  });

  it('a reload keeps a pause an operator took (a changed sink restarts paused)', async () => {
    const s = service([sink('a')]);
    await s.start();
    await s.pause('a');
    await s.reload(() => [sink('a', { maxMessages: 7 })]);
    assert.equal(s.get('a').paused, true);
    await s.stop();
  });

  it('a config that is refused, or a target that cannot be made, changes nothing: counted failed', async () => {
    let fail = false;
    const s = service([sink('a')], (spec) => {
      if (fail && spec.name === 'c') throw new Error('cannot read /k');
      const t = new CountingTarget(spec.name);
      targets.push(t);
      return t;
    });
    await s.start();
    const a = s.get('a');
    assert.equal(await s.reload(() => { throw new Error('sinks: [0].target.url must not hold a password'); }), false);
    fail = true;
    assert.equal(await s.reload(() => [sink('b'), sink('c')]), false);
    assert.deepEqual(s.names(), ['a']);
    assert.equal(s.get('a'), a);
    assert.notEqual(a.state, 'stopped');
    assert.deepEqual(targets.map((t) => [t.describe, t.closed]), [['a', false], ['b', true]], 'the target made before the failure is closed, the running one is not');
    assert.deepEqual(s.reloads, { ok: 0, failed: 2 });
    await s.stop();
  });
});
