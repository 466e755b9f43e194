import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@causeway/shared';
import { startIngest, type Ingest, type IngestDeps } from '../../src/ingest/start-ingest.js';
import type { IngestConfig, PortConfig } from '../../src/ingest/ingest-schema.js';
import type { StreamRulesConfig } from '../../src/ingest/stream-processor.js';
import { thermometerValue } from '@causeway/sim/profiles/thermometer.js';
import { vibrationValues } from '@causeway/sim/profiles/vibration.js';
import { gpsFix, GPS_EPOCH } from '@causeway/sim/profiles/vehicle-gps.js';
import { roadsideValues, ROADSIDE_COLUMNS } from '@causeway/sim/profiles/roadside-unit.js';
import { RecordingSink } from '../ingest/helpers/recording-sink.js';
import { SimProcess, waitUntil } from '../ingest/helpers/sim-process.js';

const config = (ports: PortConfig[], rules: StreamRulesConfig[] = []): IngestConfig => ({
  ports,
  rules,
  tickMs: 100,
  reopen: { initialMs: 50, maxMs: 200 },
  mqtt: { url: '', clientId: '', username: '', password: '', sources: [] },
});

describe('edge e2e 16: ingest-serial @e2e: simulator on real PTYs → serial source → rules → sink', function () {
  this.timeout(60_000);
  let dir: string;
  const sims: SimProcess[] = [];
  const ingests: Ingest[] = [];
  const sinks: RecordingSink[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'causeway-ingest-'));
  });
  after(async () => {
    for (const s of sinks) s.openGate();
    await Promise.all(ingests.map((i) => i.stop()));
    await Promise.all(sims.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  const sim = (args: string[]): SimProcess => {
    const s = new SimProcess(args);
    sims.push(s);
    return s;
  };
  const ingest = (c: IngestConfig, sink: RecordingSink, deps: IngestDeps = {}): Ingest => {
    sinks.push(sink);
    const i = startIngest(c, sink, silentLogger, deps);
    ingests.push(i);
    return i;
  };

  it('thermometer with every misbehaviour: each value checked after scale, alarms raised, each fault counted', async () => {
    const link = join(dir, 'thermo');
    const sink = new RecordingSink();
    // Ingest first: the port does not exist yet, and it must simply keep trying.
    const ing = ingest(
      config(
        [{ path: link, device: 'th-1', baudRate: 115200, framing: { type: 'line', maxLength: 256 }, protocol: { type: 'json' }, streams: { temp: 'temp', relay: '' } }],
        [{ stream: 'temp', unit: 'degF', pipeline: [{ type: 'filter', dropIf: { op: 'outside', min: -60, max: 150 } }, { type: 'scale', factor: 1.8, offset: 32, decimals: 2 }, { type: 'threshold', high: 75, hysteresis: 1 }] }],
      ),
      sink,
    );
    await new Promise((r) => setTimeout(r, 300));
    const c = ing.counters.sources[link]!;
    assert.ok(c.openFailures >= 1, 'missing port was retried');
    assert.equal(c.opens, 0);

    const N = 300;
    const s = sim(['serial', '--profile', 'thermometer', '--link', link, '--rate', '200', '--count', String(N), '--seed', '7', '--noise', '0.5', '--wait-peer', 'true',
      '--garbage-every', '11', '--partial-every', '13', '--overlong-every', '17', '--overlong-bytes', '600', '--split-every', '5', '--burst-every', '50', '--burst-size', '10']);
    const [done] = await s.waitFor('done', 1, 30_000);
    const partial = new Set(s.of('injected').filter((e) => e.mode === 'partial').map((e) => e.seq as number));
    const expected: number[] = [];
    for (let seq = 0; seq < N; seq++) if (!partial.has(seq)) expected.push(Math.round((thermometerValue(seq, 7, 0.5) * 1.8 + 32) * 100) / 100);
    await waitUntil(() => sink.readings.length >= expected.length, 10_000, () => `${expected.length} readings, have ${sink.readings.length}`);

    assert.equal(c.opens, 1);
    assert.deepEqual(sink.values('temp'), expected, 'every delivered reading, in order, converted to °F');
    assert.ok(sink.readings.every((r) => r.device === 'th-1' && r.unit === 'degF'));
    const injected = done!.injected as Record<string, number>;
    assert.ok(injected.garbage! > 0 && injected.partial! > 0 && injected.overlong! > 0 && injected.split! > 0 && injected.burst! > 0, JSON.stringify(injected));
    assert.equal(c.drops['invalid-utf8'], injected.garbage, 'garbage lines counted');
    assert.equal(c.drops.malformed, injected.partial, 'cut lines counted');
    assert.equal(c.drops.overlong, injected.overlong, 'overlong lines counted');
    assert.equal(Object.keys(c.drops).length, 3, JSON.stringify(c.drops));
    assert.equal(c.frames, N - 0 + injected.garbage!, 'every frame seen (overlong ones never became frames)');

    // Alarms: raised on crossing 75 °F, cleared at 74 °F, alternating, from the same values.
    assert.ok(sink.events.length >= 2, `events: ${sink.events.length}`);
    sink.events.forEach((e, i) => {
      assert.equal(e.event, i % 2 === 0 ? 'threshold' : 'threshold-cleared');
      assert.equal(e.priority, i % 2 === 0 ? 'alarm' : 'telemetry');
      const v = e.data!.value as number;
      assert.ok(i % 2 === 0 ? v > 75 : v <= 74, `event ${i} at ${v}`);
      assert.ok(expected.includes(v));
    });
  });

  it('hot-plug: the port vanishes (socat killed) and comes back; readings resume; values still exact', async () => {
    const link = join(dir, 'vib');
    const sink = new RecordingSink();
    const ing = ingest(config([{ path: link, device: 'vib-1', protocol: { type: 'kv' } }]), sink);
    const s = sim(['serial', '--profile', 'vibration', '--link', link, '--rate', '100', '--seed', '3', '--noise', '0.2', '--vanish-for-ms', '700']);
    const c = ing.counters.sources[link]!;
    await waitUntil(() => sink.values('rms').length >= 30, 15_000, () => 'first readings');
    s.signal('SIGUSR1');
    await s.waitFor('link-down');
    await waitUntil(() => c.disconnects === 1, 15_000, () => 'ingest to notice the vanished port');
    const before = sink.values('rms').length;
    await s.waitFor('link-up', 2);
    await waitUntil(() => c.opens === 2, 15_000, () => `reopen; counters ${JSON.stringify(c)}`);
    await waitUntil(() => sink.values('rms').length >= before + 30, 10_000, () => 'readings after the reopen');
    await s.stop();

    // Lines in flight when socat died are lost (the cable was pulled); the rest arrive in order, exact.
    const got = sink.values('rms') as number[];
    let seq = 0;
    for (const v of got) {
      while (seq < 100_000 && vibrationValues(seq, 3, 0.2).rms !== v) seq++;
      assert.ok(seq < 100_000, `value ${v} is not a later message of the device`);
      seq++;
    }
    assert.equal(sink.values('freq').length, got.length);
    assert.ok(c.openFailures >= 1, 'reopen attempts while the link was gone were counted');
    assert.deepEqual(c.drops, {});
  });

  it('GPS NMEA: positions in decimal degrees, RMC time and speed, along the simulated route', async () => {
    const link = join(dir, 'gps');
    const sink = new RecordingSink();
    ingest(config([{ path: link, device: 'bus-7', protocol: { type: 'nmea' }, streams: { lat: 'lat', lon: 'lon', speed: 'speed', fix: 'fix', valid: '', sats: '', hdop: '', alt: '', course: '' } }]), sink);
    const N = 40;
    const s = sim(['serial', '--profile', 'gps', '--link', link, '--rate', '100', '--count', String(N), '--seed', '5', '--noise', '3', '--garbage-every', '9', '--wait-peer', 'true', '--epoch', String(GPS_EPOCH)]);
    await s.waitFor('done');
    await waitUntil(() => sink.values('lat').length >= 2 * N, 10_000, () => `lat readings, have ${sink.values('lat').length}`);
    const lat = sink.values('lat') as number[];
    const lon = sink.values('lon') as number[];
    for (let k = 0; k < N; k++) {
      const f = gpsFix(k, 5, 3);
      // 4 decimals of a minute is 1.7e-6 degrees; GGA and RMC both carry the fix
      for (const j of [2 * k, 2 * k + 1]) {
        assert.ok(Math.abs(lat[j]! - f.lat) < 2e-6, `lat ${j}: ${lat[j]} vs ${f.lat}`);
        assert.ok(Math.abs(lon[j]! - f.lon) < 2e-6, `lon ${j}: ${lon[j]} vs ${f.lon}`);
      }
    }
    const speeds = sink.readings.filter((r) => r.stream === 'speed');
    assert.equal(speeds.length, N);
    speeds.forEach((r, k) => {
      assert.equal(r.ts, GPS_EPOCH + k * 1000, 'RMC time is the sample time');
      assert.ok(Math.abs((r.value as number) - gpsFix(k, 5, 3).speed) < 0.01);
      assert.equal(r.unit, 'm/s');
    });
    assert.deepEqual(sink.values('fix'), Array(N).fill(1));
  });

  it('roadside unit: CSV rows acknowledged only after the sink resolves; no retransmits', async () => {
    const link = join(dir, 'rsu');
    const sink = new RecordingSink();
    sink.closeGate();
    const ing = ingest(config([{ path: link, device: 'rsu-3', protocol: { type: 'csv', columns: [...ROADSIDE_COLUMNS] }, ack: 'ACK {seq}' }]), sink);
    const N = 30;
    const s = sim(['serial', '--profile', 'roadside-unit', '--link', link, '--rate', '100', '--count', String(N), '--seed', '9', '--wait-peer', 'true']);
    await s.waitFor('done');
    // Frames are handed to the sink in order without waiting for each commit (a port is not capped
    // at one frame per group commit), but while the sink holds its promises no row is acknowledged.
    await waitUntil(() => sink.readings.length >= N * 3, 10_000, () => 'every row read');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sink.readings.length, N * 3);
    assert.deepEqual(sink.values('vehicles'), [...Array(N).keys()].map((k) => roadsideValues(k, 9, 0).vehicles), 'in order');
    assert.equal(s.of('acked').length, 0, 'no ACK while the sink has not committed');
    assert.equal(ing.counters.sources[link]!.acks, 0);
    sink.openGate();
    await s.waitFor('acked', N, 10_000);
    assert.deepEqual(s.of('acked').map((e) => e.seq), [...Array(N).keys()], 'ACKs in order, one per row');
    const summary = await s.stop();
    assert.equal(summary!.retransmits, 0);
    assert.deepEqual(sink.values('vehicles'), [...Array(N).keys()].map((k) => roadsideValues(k, 9, 0).vehicles));
    assert.deepEqual(sink.values('roadTemp'), [...Array(N).keys()].map((k) => roadsideValues(k, 9, 0).roadTemp));
  });

  it('commands: written to the device, answered with a reply line, effect visible in its readings', async () => {
    const link = join(dir, 'cmd');
    const sink = new RecordingSink();
    const replies: string[] = [];
    const ing = ingest(config([{ path: link, device: 'th-9', protocol: { type: 'json' } }]), sink, { onReply: (d, r) => replies.push(`${d}:${r}`) });
    assert.equal(ing.sendToDevice('th-9', 'set-relay on'), false, 'nothing to write to before the port exists');
    assert.equal(ing.sendToDevice('nobody', 'reboot'), false);
    sim(['serial', '--profile', 'thermometer', '--link', link, '--rate', '20', '--wait-peer', 'true']);
    await waitUntil(() => sink.values('relay').length >= 2, 15_000, () => 'first readings');
    assert.equal(sink.values('relay').at(-1), false);
    assert.equal(ing.sendToDevice('th-9', 'set-relay on'), true);
    await waitUntil(() => replies.length === 1, 5000, () => 'reply');
    assert.deepEqual(replies, ['th-9:ok set-relay on']);
    const n = sink.values('relay').length;
    await waitUntil(() => sink.values('relay').length >= n + 2, 5000, () => 'readings after the command');
    assert.equal(sink.values('relay').at(-1), true);
    ing.sendToDevice('th-9', 'set-interval 25');
    ing.sendToDevice('th-9', 'self-destruct');
    await waitUntil(() => replies.length === 3, 5000, () => 'two more replies');
    assert.deepEqual(replies.slice(1), ['th-9:ok set-interval 25', 'th-9:err unknown-command self-destruct']);
    const c = ing.counters.sources[link]!;
    assert.equal(c.replies, 3);

    // Hot reload on the running agent: relay is now a stream with rules, and a bad rule is refused.
    assert.throws(() => ing.updateRules([{ stream: 'temp', pipeline: [{ type: 'scale', factor: 'x' }] }]), /ingest\.rules\[0\]\.pipeline\[0\] \(scale\): "factor"/);
    ing.updateRules(config([], [{ stream: 'temp', pipeline: [{ type: 'filter', dropIf: { op: 'gt', value: -1000 } }] }]));
    const kept = sink.values('temp').length;
    const relays = sink.values('relay').length;
    await waitUntil(() => sink.values('relay').length >= relays + 5, 5000, () => 'readings after the reload');
    assert.equal(sink.values('temp').length, kept, 'the reloaded filter drops every temp reading');
    assert.deepEqual(c.drops, {}, 'replies are not counted as bad frames');
  });
});
