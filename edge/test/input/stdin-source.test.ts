import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { CausewayError } from '@causeway/shared';
import type { EventInput, ReadingInput, UplinkSink } from '../../src/ingest/sink.js';
import { startLineSource } from '../../src/input/stdin-source.js';

/** A sink that commits after a delay, out of order, and refuses what tests ask it to. */
function fakeSink(refuse: (x: { device: string }) => boolean): UplinkSink & { got: unknown[] } {
  const got: unknown[] = [];
  const add = (x: ReadingInput | EventInput, delay: number): Promise<void> =>
    new Promise((resolve, reject) =>
      setTimeout(() => {
        if (refuse(x)) reject(new CausewayError('OUTBOX_FULL', 'full'));
        else {
          got.push(x);
          resolve();
        }
      }, delay),
    );
  return { got, addReading: (r) => add(r, r.ts % 2 === 0 ? 30 : 5), addEvent: (e) => add(e, 5) };
}

describe('input/stdin-source', () => {
  it('reads readings and events, refuses bad lines, and acks in line order once settled', async () => {
    const input = new PassThrough();
    const acks = new PassThrough();
    const out: string[] = [];
    acks.on('data', (d: Buffer) => out.push(...d.toString().trim().split('\n')));
    const sink = fakeSink((x) => x.device === 'full');
    const { stats, done } = startLineSource(input, sink, { ackTo: acks });
    input.write('{"device":"d","stream":"s","ts":2,"value":1}\n'); // slow commit
    input.write('{"device":"d","stream":"s","ts":1,"value":1}\n'); // fast commit
    input.write('not json\n');
    input.write('{"device":"d","event":"door","severity":"info","ts":1}\n');
    input.write('{"device":"full","stream":"s","ts":3,"value":1}\n');
    input.end();
    await done;
    await new Promise((r) => setTimeout(r, 80));
    const parsed = out.map((l) => JSON.parse(l) as { ack?: number; nack?: number; code?: string });
    const acked = parsed.filter((p) => p.ack !== undefined).map((p) => p.ack!);
    assert.deepEqual(acked, [...acked].sort((a, b) => a - b), 'acks only grow');
    assert.equal(acked.at(-1), 5);
    assert.deepEqual(parsed.filter((p) => p.nack !== undefined).map((p) => [p.nack, p.code]), [[3, 'INPUT_INVALID'], [5, 'OUTBOX_FULL']]);
    assert.deepEqual(stats, { lines: 5, committed: 3, invalid: 1, drops: {} });
    assert.equal(sink.got.length, 3);
  });

  it('does not ack past a line whose commit is still pending', async () => {
    const input = new PassThrough();
    const acks = new PassThrough();
    const out: number[] = [];
    acks.on('data', (d: Buffer) => d.toString().trim().split('\n').forEach((l) => out.push((JSON.parse(l) as { ack: number }).ack)));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const sink: UplinkSink = { addReading: () => (calls++ === 0 ? gate : Promise.resolve()), addEvent: () => Promise.resolve() };
    startLineSource(input, sink, { ackTo: acks });
    input.write('{"device":"d","stream":"s","ts":1,"value":1}\n{"device":"d","stream":"s","ts":2,"value":1}\n');
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(out, [], 'line 2 is committed but line 1 is not: no ack yet');
    release();
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(out, [2]);
  });
  it('refuses an oversized reading and a line too long to hold, counts both by reason, and keeps going', async () => {
    const input = new PassThrough();
    const acks = new PassThrough();
    const out: string[] = [];
    acks.on('data', (d: Buffer) => out.push(...d.toString().trim().split('\n')));
    const sink = fakeSink(() => false);
    const { stats, done } = startLineSource(input, sink, { ackTo: acks, maxReadingBytes: 1024 });
    input.write('{"device":"d","stream":"s","ts":1,"value":1}\n');
    input.write(JSON.stringify({ device: 'd', stream: 's', ts: 3, value: 'x'.repeat(2000) }) + '\n'); // fits the line, not the reading
    // 5 MB in pieces with no newline yet: never held whole, dropped as overlong when it ends
    for (let i = 0; i < 80; i++) input.write('y'.repeat(64 * 1024));
    input.write('\n');
    input.write('{"device":"d","stream":"s","ts":5,"value":2}\n');
    input.end();
    await done;
    await new Promise((r) => setTimeout(r, 80));
    const parsed = out.map((l) => JSON.parse(l) as { ack?: number; nack?: number; code?: string });
    assert.deepEqual(parsed.filter((p) => p.nack !== undefined).map((p) => [p.nack, p.code]), [[2, 'INPUT_TOO_LARGE'], [3, 'INPUT_TOO_LARGE']]);
    assert.equal(parsed.filter((p) => p.ack !== undefined).at(-1)!.ack, 4);
    assert.deepEqual(stats, { lines: 4, committed: 2, invalid: 0, drops: { oversized: 1, overlong: 1 } });
    assert.deepEqual((sink.got as Array<{ ts: number }>).map((r) => r.ts).sort(), [1, 5]);
    });

  it('refuses a line with a prototype key as invalid, naming the path (issue 23 item 2)', async () => {
    const input = new PassThrough();
    const acks = new PassThrough();
    const out: string[] = [];
    acks.on('data', (d: Buffer) => out.push(...d.toString().trim().split('\n')));
    const sink = fakeSink(() => false);
    const { stats, done } = startLineSource(input, sink, { ackTo: acks });
    input.write('{"device":"d","event":"door","severity":"info","ts":1,"data":{"__proto__":{"polluted":1}}}\n');
    input.end();
    await done;
    assert.deepEqual(out.map((l) => JSON.parse(l) as unknown), [{ nack: 1, code: 'INPUT_INVALID' }]);
    assert.deepEqual(stats, { lines: 1, committed: 0, invalid: 1, drops: {} });
    assert.equal(sink.got.length, 0);
  });
});
