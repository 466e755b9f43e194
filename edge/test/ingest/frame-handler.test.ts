import assert from 'node:assert/strict';
import { silentLogger } from '@causeway/shared';
import { newIngestCounters, newSourceCounters } from '../../src/ingest/counters.js';
import { createFrameHandler, type FrameHandlerOptions } from '../../src/ingest/frame-handler.js';
import { jsonLines } from '../../src/ingest/protocols/json-lines.js';
import { createStreamProcessor } from '../../src/ingest/stream-processor.js';
import { RecordingSink } from './helpers/recording-sink.js';

const setup = (o: Partial<FrameHandlerOptions> = {}) => {
  const sink = new RecordingSink();
  const counters = newSourceCounters();
  const processor = createStreamProcessor({ rules: [], sink, counters: newIngestCounters(), logger: silentLogger });
  const replies: string[] = [];
  const handle = createFrameHandler({ device: 'd1', protocol: jsonLines, processor, counters, now: () => 42, onReply: (d, r) => replies.push(`${d}|${r}`), ...o });
  return { sink, counters, handle, replies };
};
const f = (s: string): Buffer => Buffer.from(s);

describe('ingest/frame-handler', () => {
  it('fills the ACK template with the frame seq, only after the sink resolved', async () => {
    const { sink, handle, counters } = setup({ ack: 'ACK {seq}' });
    sink.closeGate();
    let ack: string | null | undefined;
    const p = handle(f('{"seq":17,"t":1}')).then((a) => (ack = a));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(ack, undefined, 'no ACK before the sink commits');
    sink.openGate();
    await p;
    assert.equal(ack, 'ACK 17\n');
    assert.equal(counters.acks, 1);
    assert.deepEqual(sink.readings, [{ device: 'd1', stream: 't', ts: 42, value: 1 }]);
  });

  it('no ACK when the frame is refused or the sink fails; both counted', async () => {
    const { sink, handle, counters } = setup({ ack: 'ACK {seq}' });
    assert.equal(await handle(f('{"seq":1,"t":')), null);
    sink.failNext = 1;
    assert.equal(await handle(f('{"seq":2,"t":1}')), null);
    assert.deepEqual(counters.drops, { malformed: 1, 'sink-failed': 1 });
    assert.equal(counters.acks, 0);
  });

  it('stream mapping: renamed, ignored with "", unmapped counted, invalid ids refused', async () => {
    const { sink, handle, counters } = setup({ streams: { t: 'temperature', dbg: '', 'a/b': 'ab' } });
    await handle(f('{"t":1,"dbg":5,"other":3,"a/b":4}'));
    assert.deepEqual(sink.readings.map((r) => `${r.stream}=${String(r.value)}`), ['temperature=1', 'ab=4']);
    assert.deepEqual(counters.drops, { unmapped: 1 });
    const noMap = setup();
    await noMap.handle(f('{"bad/name":1,"ok":2}'));
    assert.deepEqual(noMap.sink.readings.map((r) => r.stream), ['ok']);
    assert.deepEqual(noMap.counters.drops, { unmapped: 1 });
  });

  it('device time from the frame wins over the receive time', async () => {
    const { sink, handle } = setup();
    await handle(f('{"ts":1700000000000,"t":1}'));
    assert.equal(sink.readings[0]!.ts, 1700000000000);
  });

  it('reply lines go to onReply, not to the sink, and are not ACKed', async () => {
    const { sink, handle, counters, replies } = setup({ ack: 'ACK' });
    assert.equal(await handle(f('>ok set-relay on')), null);
    assert.deepEqual(replies, ['d1|ok set-relay on']);
    assert.equal(sink.readings.length, 0);
    assert.equal(counters.replies, 1);
  });
});
