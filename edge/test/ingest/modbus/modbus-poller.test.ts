import assert from 'node:assert/strict';
import { silentLogger } from '@causeway/shared';
import { newIngestCounters } from '../../../src/ingest/counters.js';
import type { ModbusBus, ModbusReadFc } from '../../../src/ingest/modbus/modbus-config.js';
import type { ModbusLink } from '../../../src/ingest/modbus/modbus-link.js';
import { startModbusPoller } from '../../../src/ingest/modbus/modbus-poller.js';
import { createStreamProcessor } from '../../../src/ingest/stream-processor.js';
import { RecordingSink } from '../helpers/recording-sink.js';

interface FakeSlave {
  registers: Map<number, number>;
  /** answers nothing: the request times out after its timeoutMs */
  dead?: boolean;
  /** answers every request with this exception code at these addresses */
  exceptionAt?: Map<number, number>;
}

/** An in-memory bus: what modbus-serial would return, and its errors' shapes (errno, modbusCode). */
class FakeLink implements ModbusLink {
  isOpen = false;
  opensRefused = 0;
  requests: string[] = [];
  constructor(readonly slaves: Map<number, FakeSlave>) {}
  async open(): Promise<void> {
    if (this.opensRefused > 0) {
      this.opensRefused--;
      throw Object.assign(new Error('connect ECONNREFUSED'), { errno: 'ECONNREFUSED' });
    }
    this.isOpen = true;
  }
  async read(unit: number, fc: ModbusReadFc, address: number, count: number, timeoutMs: number): Promise<number[] | boolean[]> {
    this.requests.push(`${unit}:fc${fc}@${address}+${count}`);
    const s = this.slaves.get(unit);
    if (s === undefined || s.dead) {
      await new Promise((r) => setTimeout(r, timeoutMs));
      throw Object.assign(new Error('Timed out'), { errno: 'ETIMEDOUT' });
    }
    const code = [...(s.exceptionAt ?? [])].find(([a]) => a >= address && a < address + count)?.[1];
    if (code !== undefined) throw Object.assign(new Error(`Modbus exception ${code}`), { modbusCode: code });
    const words = Array.from({ length: count }, (_, i) => s.registers.get(address + i) ?? 0);
    return fc === 1 || fc === 2 ? words.map((w) => w !== 0) : words;
  }
  async writeCoil(): Promise<void> {}
  async writeCoils(): Promise<void> {}
  async writeRegisters(): Promise<void> {}
  async close(): Promise<void> {
    this.isOpen = false;
  }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), `never happened: ${what}`);
}

function rig(bus: ModbusBus, link: FakeLink) {
  const sink = new RecordingSink();
  const counters = newIngestCounters();
  const processor = createStreamProcessor({ rules: [{ stream: 'energy', unit: 'kWh', pipeline: [{ type: 'scale', factor: 0.001 }] }], sink, counters, logger: silentLogger });
  const poller = startModbusPoller({ bus, link, processor, counters, logger: silentLogger, reopen: { initialMs: 5, maxMs: 20 } });
  return { sink, counters, poller };
}

describe('ingest/modbus/modbus-poller', () => {
  it('decodes a slave\'s points from one coalesced read into readings with units, through the rules', async () => {
    const link = new FakeLink(new Map([[1, { registers: new Map([[0, 0x4366], [1, 0x8000], [2, 0xff9c], [3, 1500], [4, 0b101]]) }]]));
    const bus: ModbusBus = {
      tcp: { host: 'fake' },
      slaves: [{ unit: 1, device: 'meter-1', periodMs: 50, points: [
        { stream: 'voltage', fc: 3, address: 0, type: 'float32', unit: 'V' },
        { stream: 'temp', fc: 3, address: 2, type: 'int16', scale: 0.1, unit: 'degC' },
        { stream: 'energy', fc: 3, address: 3 },
        { stream: 'door', fc: 3, address: 4, bit: 2 },
      ] }],
    };
    const { sink, poller, counters } = rig(bus, link);
    await until(() => sink.readings.length >= 4, 'four readings');
    await poller.stop();
    const first = Object.fromEntries(sink.readings.slice(0, 4).map((r) => [r.stream, [r.value, r.unit]]));
    assert.deepEqual(first, { voltage: [230.5, 'V'], temp: [-10, 'degC'], energy: [1.5, 'kWh'], door: [1, undefined] });
    assert.equal(link.requests[0], '1:fc3@0+5');
    assert.equal(counters.modbus['fake:502/1']!.reads, counters.modbus['fake:502/1']!.polls);
    assert.equal(counters.sources['modbus:fake:502']!.opens, 1);
  });

  it('one dead slave among eight does not stall the other seven: it times out once per backoff, not once per period', async () => {
    const slaves = new Map<number, FakeSlave>(Array.from({ length: 8 }, (_, i) => [i + 1, { registers: new Map([[0, i]]), dead: i === 4 }]));
    const link = new FakeLink(slaves);
    const bus: ModbusBus = {
      name: 'cabinet',
      tcp: { host: 'fake' },
      slaves: Array.from({ length: 8 }, (_, i) => ({ unit: i + 1, device: `d${i + 1}`, periodMs: 20, timeoutMs: 100, backoff: { initialMs: 60_000 }, points: [{ stream: 'v', fc: 4 as const, address: 0 }] })),
    };
    const { poller, counters } = rig(bus, link);
    const alive = [1, 2, 3, 4, 6, 7, 8];
    await until(() => alive.every((u) => (counters.modbus[`cabinet/${u}`]?.readings ?? 0) >= 20), 'twenty readings from each live slave');
    await poller.stop();
    assert.equal(counters.modbus['cabinet/5']!.timeouts, 1);
    assert.equal(counters.modbus['cabinet/5']!.readings, 0);
    assert.ok(counters.modbus['cabinet/5']!.skipped > 0);
  });

  it('an exception response is counted per code; the slave\'s other reads still deliver and it is not backed off', async () => {
    const link = new FakeLink(new Map([[3, { registers: new Map([[0, 7], [10, 9]]), exceptionAt: new Map([[10, 2]]) }]]));
    const bus: ModbusBus = { rtu: { path: '/dev/fake' }, slaves: [{ unit: 3, device: 'wx', periodMs: 10, points: [{ stream: 'a', fc: 4, address: 0 }, { stream: 'b', fc: 4, address: 10 }] }] };
    const { sink, poller, counters } = rig(bus, link);
    await until(() => (counters.modbus['/dev/fake/3']?.exceptions[2] ?? 0) >= 3, 'three exceptions');
    await poller.stop();
    const c = counters.modbus['/dev/fake/3']!;
    assert.ok(sink.readings.filter((r) => r.stream === 'a').length >= 3);
    assert.equal(sink.readings.filter((r) => r.stream === 'b').length, 0);
    assert.equal(c.timeouts, 0);
    assert.ok(c.polls >= 3);
  });

  it('a coalesced read refused with exception 2 (illegal data address) is split: the other points still deliver', async () => {
    const link = new FakeLink(new Map([[1, { registers: new Map([[0, 10], [2, 30]]), exceptionAt: new Map([[1, 2]]) }]]));
    const bus: ModbusBus = { tcp: { host: 'fake' }, slaves: [{ unit: 1, device: 'm', periodMs: 10, points: [{ stream: 'a', fc: 3, address: 0 }, { stream: 'b', fc: 3, address: 1 }, { stream: 'c', fc: 3, address: 2 }] }] };
    const { sink, poller, counters } = rig(bus, link);
    await until(() => sink.readings.filter((r) => r.stream === 'c').length >= 3, 'three readings of c');
    await poller.stop();
    assert.deepEqual(link.requests.slice(0, 4), ['1:fc3@0+3', '1:fc3@0+1', '1:fc3@1+1', '1:fc3@2+1']);
    assert.ok(sink.readings.every((r) => (r.stream === 'a' && r.value === 10) || (r.stream === 'c' && r.value === 30)));
    assert.ok(counters.modbus['fake:502/1']!.exceptions[2]! >= 3);
  });

  it('a bus that cannot be opened is retried with backoff and polled once it opens', async () => {
    const link = new FakeLink(new Map([[1, { registers: new Map([[0, 1]]) }]]));
    link.opensRefused = 3;
    const { sink, poller, counters } = rig({ tcp: { host: 'fake', port: 1502 }, slaves: [{ unit: 1, device: 'm', points: [{ stream: 's', fc: 2, address: 0 }] }] }, link);
    await until(() => sink.readings.length >= 1, 'a reading');
    await poller.stop();
    assert.equal(counters.sources['modbus:fake:1502']!.openFailures, 3);
    assert.equal(sink.readings[0]!.value, true);
  });
});
