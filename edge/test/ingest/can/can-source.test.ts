import assert from 'node:assert/strict';
import { silentLogger } from '@causeway/shared';
import { encodeSlcanFrame, j1939Id } from '@causeway/shared/can/index.js';
import { startCanBus } from '../../../src/ingest/can/can-source.js';
import { newIngestCounters, sourceCounters } from '../../../src/ingest/counters.js';
import { createStreamProcessor } from '../../../src/ingest/stream-processor.js';
import { FakePort, until } from '../helpers/fake-port.js';
import { RecordingSink } from '../helpers/recording-sink.js';

function setup(source: Parameters<typeof startCanBus>[0]['source']) {
  const sink = new RecordingSink();
  const counters = newIngestCounters();
  const c = sourceCounters(counters, 'can:test');
  const processor = createStreamProcessor({ rules: [], sink, counters, logger: silentLogger });
  const ports: FakePort[] = [];
  const bus = startCanBus({
    source,
    processor,
    counters: c,
    logger: silentLogger,
    now: Date.now,
    reopen: { initialMs: 10, maxMs: 20 },
    openPort: () => {
      const p = new FakePort();
      ports.push(p);
      return Promise.resolve(p);
    },
  });
  return { sink, c, ports, bus };
}

const eec1 = (rpm: number): string => {
  const d = new Uint8Array(8).fill(0xff);
  const raw = rpm / 0.125;
  d[3] = raw & 0xff;
  d[4] = raw >> 8;
  return encodeSlcanFrame({ id: j1939Id(61444, 0, 3), extended: true, remote: false, dlc: 8, data: d });
};

describe('edge/ingest/can/can-source', () => {
  it('sets an SLCAN adapter up at every open (C, Sn, Zn, O), again after it was unplugged', async () => {
    const { ports, bus } = setup({ device: 'bus', slcan: { path: '/dev/ttyACM0', bitrate: 250_000 }, j1939: true });
    await until(() => ports.length === 1);
    assert.deepEqual(ports[0]!.written, ['C\rS5\rZ0\rO\r']);
    ports[0]!.unplug();
    await until(() => ports.length === 2);
    assert.deepEqual(ports[1]!.written, ['C\rS5\rZ0\rO\r']);
    await bus.stop();
    assert.equal(ports[1]!.written.at(-1), 'C\r', 'the channel is closed on stop');
  });

  it('sends the OBD-II requests on the schedule, one frame per PID to 0x7DF', async () => {
    const { ports, bus } = setup({ device: 'car', slcan: { path: '/dev/ttyACM0' }, obd2: { pids: [0x0c, 0x05], periodMs: 20 } });
    await until(() => ports.length === 1 && ports[0]!.written.length >= 3);
    assert.equal(ports[0]!.written[1], 't7DF802010C5555555555\rt7DF80201055555555555\r');
    assert.equal(ports[0]!.written[2], ports[0]!.written[1]);
    await bus.stop();
  });

  it('decodes frames into readings in order; a bad line is malformed, an unknown frame unmapped, a BEL is no frame', async () => {
    const { ports, sink, c, bus } = setup({ device: 'bus', slcan: { path: '/dev/ttyACM0' }, j1939: true });
    await until(() => ports.length === 1);
    ports[0]!.emit('data', Buffer.from(`\r${eec1(1200)}t12G1ZZ\r\x07t3212AABB\r${eec1(1300)}`, 'latin1'));
    await until(() => sink.readings.length === 2);
    assert.deepEqual(sink.readings.map((r) => [r.device, r.stream, r.value, r.unit]), [['bus', 'engine_speed', 1200, 'rpm'], ['bus', 'engine_speed', 1300, 'rpm']]);
    assert.equal(c.drops.malformed, 1);
    assert.equal(c.drops.unmapped, 1);
    assert.equal(c.frames, 4);
    await bus.stop();
  });

  it('paces a signal repeated faster than minIntervalMs', async () => {
    const { ports, sink, bus } = setup({ device: 'bus', slcan: { path: '/dev/ttyACM0' }, j1939: true, minIntervalMs: 60_000 });
    await until(() => ports.length === 1);
    ports[0]!.emit('data', Buffer.from(eec1(1000) + eec1(1100) + eec1(1200), 'latin1'));
    await until(() => sink.readings.length >= 1);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(sink.readings.map((r) => r.value), [1000]);
    await bus.stop();
  });
});
