import assert from 'node:assert/strict';
import { type BrokerStore, createMemoryStore, firstLevelQueue, topicQueue } from '@causeway/broker';
import { createLogger, encodeEnvelope, propertiesFor, type ReadingBatch } from '@causeway/shared';
import { QueueService } from '../../src/queues/queue-service.js';
import { parseSink } from '../../src/sinks/sink-spec.js';
import { SinkRunner } from '../../src/sinks/sink-runner.js';
import type { SinkTarget, WriteOutcome } from '../../src/sinks/targets/target.js';
import type { SinkRow } from '../../src/sinks/transform.js';

/** A target whose answers the test scripts: 'fail' throws (retryable), 'refuse' is a permanent refusal, 'ok' commits. */
class ScriptedTarget implements SinkTarget {
  readonly describe = 'scripted';
  readonly committed: SinkRow[] = [];
  attempts = 0;
  constructor(public script: Array<'ok' | 'fail' | 'refuse'>) {}
  async write(rows: SinkRow[]): Promise<WriteOutcome> {
    this.attempts++;
    const next = this.script.length > 1 ? this.script.shift()! : this.script[0]!;
    if (next === 'fail') throw Object.assign(new Error('target down'), { code: 'SINK_TARGET_UNAVAILABLE' });
    if (next === 'refuse') return { ok: false, dead: true, status: 400, response: 'no' };
    this.committed.push(...rows);
    return { ok: true };
  }
  async close(): Promise<void> {}
}

async function publishBatch(store: BrokerStore, i: number): Promise<void> {
  const topic = 'telemetry/gw1/d/temp';
  const b: ReadingBatch = { v: 1, type: 'batch', id: `b-${i}`, gateway: 'gw1', device: 'd', stream: 'temp', readings: [{ seq: i, ts: i, value: i }] };
  await store.log.append({ topic, payload: encodeEnvelope(b), qos: 1, retain: false, properties: propertiesFor(topic, { clientId: 'gw1' }), createdAt: Date.now() }, [firstLevelQueue(topic), topicQueue(topic)]);
}

const until = async (what: string, cond: () => boolean | Promise<boolean>): Promise<void> => {
  const deadline = Date.now() + 10_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('sinks/sink-runner: a consumer group that acks after the target committed', () => {
  let store: BrokerStore;
  let queues: QueueService;
  const dead: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'silent', name: 'test' });
  const spec = parseSink({ name: 't', queue: 'telemetry', target: { type: 'webhook', url: 'http://127.0.0.1:1/x', secretFile: '/k' } }, 'sink');
  const runner = (target: SinkTarget): SinkRunner =>
    new SinkRunner(spec, { queues, target, member: 'n1', logger, pullWaitMs: 50, backoff: { baseMs: 5, capMs: 20 }, deadLetter: async (_s, r) => void dead.push(r) });

  beforeEach(() => {
    store = createMemoryStore();
    queues = new QueueService(store.log, store.offsets, { visibilityTimeoutMs: 30_000, window: 100 });
    dead.length = 0;
  });
  afterEach(() => store.close());

  it('a failing target: nothing acked (lag stays), backing off with the error; then written once and acked', async () => {
    for (let i = 1; i <= 3; i++) await publishBatch(store, i);
    // fails until the test lets it succeed (no race with the backoff timers)
    const target = new ScriptedTarget(['fail']);
    const r = runner(target);
    r.start();
    await until('two failed attempts', () => target.attempts >= 2);
    assert.equal(r.state, 'backing off');
    assert.equal((await queues.lag(r.group)).lag, 3, 'not acked while the target fails');
    assert.equal(r.lastError?.code, 'SINK_TARGET_UNAVAILABLE');
    target.script = ['ok'];
    await until('acked', async () => (await queues.lag(r.group)).lag === 0);
    await r.stop();
    assert.deepEqual(target.committed.map((x) => x.seq), [1, 2, 3], 'the same batch, written once');
    assert.ok(r.counters.failures >= 2);
    assert.equal(r.counters.rows, 3);
    assert.equal(r.state, 'stopped');
  });

  it('a refusal goes to the dead-letter queue once, is acked, and the sink goes on', async () => {
    await publishBatch(store, 1);
    const target = new ScriptedTarget(['refuse', 'ok']);
    const r = runner(target);
    r.start();
    await until('dead-lettered', () => r.counters.deadLettered === 1);
    await publishBatch(store, 2);
    queues.notify('telemetry');
    await until('the next one written', () => target.committed.length === 1);
    await r.stop();
    assert.equal(target.attempts, 2, 'the refused batch is not retried');
    assert.equal(dead[0]!.status, 400);
    assert.equal((await queues.lag(r.group)).lag, 0);
  });

  it('malformed messages are dead-lettered with their reason; the rest of the batch is written', async () => {
    await publishBatch(store, 1);
    const topic = 'telemetry/gw1/d/temp';
    await store.log.append({ topic, payload: Buffer.from('garbage'), qos: 1, retain: false, properties: propertiesFor(topic, { clientId: 'gw1' }), createdAt: Date.now() }, [firstLevelQueue(topic), topicQueue(topic)]);
    const target = new ScriptedTarget(['ok']);
    const r = runner(target);
    r.start();
    await until('acked', async () => (await queues.lag(r.group)).lag === 0);
    await r.stop();
    assert.equal(target.committed.length, 1);
    assert.equal(r.counters.malformed, 1);
    assert.equal(dead[0]!.reason, 'malformed');
  });

  it('pause stops after the batch in hand, resume goes on; replay writes again from an offset', async () => {
    const target = new ScriptedTarget(['ok']);
    const r = runner(target);
    r.pause();
    r.start();
    await publishBatch(store, 1);
    await until('paused', () => r.state === 'paused');
    assert.equal(target.attempts, 0);
    r.resume();
    await until('written', () => target.committed.length === 1);
    assert.equal(await r.replay({ offset: 1 }), 1);
    await until('written again', () => target.committed.length === 2);
    await r.stop();
  });
});
