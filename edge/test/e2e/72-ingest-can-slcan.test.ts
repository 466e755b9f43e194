import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitUntil } from '../ingest/helpers/sim-process.js';
import { useFieldBusRig } from './fixtures/field-bus-rig.js';

/** The battery message `causeway-sim can` puts on the bus (firmware-sim/src/can/vehicle-profile.ts BATTERY_DBC). */
const BATTERY_DBC = `VERSION ""

BU_: BMS

BO_ 1024 Battery: 4 BMS
 SG_ PackVoltage : 7|16@0+ (0.1,0) [0|1000] "V" Vector__XXX
 SG_ SoC : 16|8@1+ (0.5,0) [0|100] "%" Vector__XXX
`;

/** What the `city-bus` profile reports, as the agent must decode it: J1939, OBD-II (mode 01 PID 05) and the DBC. */
const EXPECTED: Record<string, [number, string]> = {
  engine_speed: [1500, 'rpm'],
  vehicle_speed: [88.5, 'km/h'],
  fuel_level: [80, '%'],
  coolant_temp: [83, '°C'],
  PackVoltage: [400, 'V'],
  SoC: [80, '%'],
};

/**
 * Issue 19, CAN end to end: a real agent opens a simulated SLCAN adapter on a PTY (it sends C, S5, Z0, O),
 * decodes the vehicle's J1939 broadcasts, asks the coolant temperature by OBD-II on a schedule, decodes a
 * proprietary message with a DBC file; the readings reach the cloud's server-side telemetry queue with
 * their values and units, and the adapter's corrupted lines are counted as malformed frames in /metrics.
 */
describe('edge e2e 72: SLCAN adapter (J1939, OBD-II, DBC) → agent → cloud server-side queue @e2e', function () {
  this.timeout(90_000);
  const rig = useFieldBusRig('edge-e2e72');

  it('values and units at the queue from J1939, OBD-II and a DBC; bad frames counted', async () => {
    const link = join(rig.dir, 'ttyCAN');
    await rig.startSim(['can', '--profile', 'city-bus', '--link', link, '--rate', '20', '--bad-every', '10']);
    const dbc = join(rig.dir, 'battery.dbc');
    writeFileSync(dbc, BATTERY_DBC);
    const config = {
      gateway: { id: 'gw-e2e72' },
      cloud: { url: `mqtt://127.0.0.1:${rig.cloud.port}` },
      store: { path: join(rig.dir, 'outbox.db') },
      health: { port: 0 },
      log: { level: 'info' },
      ingest: {
        can: [{ name: 'bus-can', device: 'bus-12', slcan: { path: link, bitrate: 250_000 }, j1939: true, obd2: { pids: [0x05], periodMs: 100 }, dbc, minIntervalMs: 50 }],
      },
    };
    const agent = await rig.startAgent(config);
    const got = new Map<string, { value: unknown; unit: string | undefined; ts: number }[]>();
    const enough = (): boolean => Object.keys(EXPECTED).every((s) => (got.get(`bus-12/${s}`)?.length ?? 0) >= 10);
    const deadline = Date.now() + 60_000;
    while (!enough() && Date.now() < deadline) {
      const r = await rig.call('POST', '/v1/queues/telemetry/groups/e2e72/pull', { member: 'm', max: 1000, waitMs: 500 });
      for (const m of r.messages) {
        const b = m.envelope;
        for (const x of b.readings) {
          const k = `${b.device}/${b.stream}`;
          if (!got.has(k)) got.set(k, []);
          got.get(k)!.push({ value: x.value, unit: x.unit ?? b.unit, ts: x.ts });
        }
      }
      if (r.messages.length > 0) await rig.call('POST', '/v1/queues/telemetry/groups/e2e72/ack', { member: 'm', offsets: r.messages.map((m: { offset: number }) => m.offset) });
    }
    const counts = Object.fromEntries([...got].map(([k, v]) => [k, v.length]));
    assert.ok(enough(), `every signal reached the queue 10 times: ${JSON.stringify(counts)}`);
    for (const [s, [value, unit]] of Object.entries(EXPECTED)) {
      const seen = got.get(`bus-12/${s}`)!;
      assert.ok(seen.every((x) => x.value === value && x.unit === unit), `${s}: expected ${value} ${unit}, got ${JSON.stringify(seen.slice(0, 3))}`);
    }
    // the per-signal minimum interval holds: the bus repeats every signal each 50 ms cycle and faster
    const rpm = got.get('bus-12/engine_speed')!.map((x) => x.ts).sort((a, b) => a - b);
    assert.ok(rpm.every((t, i) => i === 0 || t - rpm[i - 1]! >= 50), `engine_speed readings ≥ 50 ms apart: ${JSON.stringify(rpm.slice(0, 10))}`);

    assert.ok(await rig.metric('causeway_ingest_dropped_frames', 'source="can:bus-can",reason="malformed"') >= 5, 'the adapter\'s corrupted lines are counted');
    assert.ok(await rig.metric('causeway_ingest_source_events', 'source="can:bus-can",counter="opens"') >= 1);

    // A new DBC delivered to the same path (file delivery) applies on SIGHUP, without a restart.
    writeFileSync(dbc, BATTERY_DBC.replace('SG_ SoC :', 'SG_ StateOfCharge :'));
    agent.proc.kill('SIGHUP');
    await waitUntil(() => agent.logs.some((l) => l.msg === 'DBC file reloaded'), 10_000, () => `DBC reloaded; stderr ${agent.stderr.slice(-800)}`);
    const renamed: unknown[] = [];
    const until = Date.now() + 20_000;
    while (renamed.length < 3 && Date.now() < until) {
      const r = await rig.call('POST', '/v1/queues/telemetry/groups/e2e72/pull', { member: 'm', max: 1000, waitMs: 500 });
      for (const m of r.messages) if (m.envelope.stream === 'StateOfCharge') for (const x of m.envelope.readings) renamed.push(x.value);
      if (r.messages.length > 0) await rig.call('POST', '/v1/queues/telemetry/groups/e2e72/ack', { member: 'm', offsets: r.messages.map((m: { offset: number }) => m.offset) });
    }
    assert.deepEqual(renamed.slice(0, 3), [80, 80, 80], 'the reloaded DBC names the signal StateOfCharge');

    await agent.kill('SIGTERM');
    const summary = await rig.sim!.stop();
    rig.sim = undefined;
    assert.ok(summary !== undefined && (summary.opens as number) >= 1 && (summary.obdAnswers as number) >= 10, `adapter summary ${JSON.stringify(summary)}`);
  });
});
