import assert from 'node:assert/strict';
import { join } from 'node:path';
import { waitFor } from '../../../cloud/test/e2e/fixtures/broker-process.js';
import { useFieldBusRig } from './fixtures/field-bus-rig.js';

/**
 * Issue 19, Modbus writes as device commands: `write {stream, value}` through the cloud's command path
 * to a simulated Modbus TCP slave, verified by read-back, seen in the next polled readings; a register
 * not declared writable is refused (REJECTED) without touching the bus.
 */
describe('edge e2e 71: a Modbus write as a device command, with read-back @e2e', function () {
  this.timeout(90_000);
  const rig = useFieldBusRig('edge-e2e71');

  it('writes a holding register (fc 6), a float32 (fc 16), a coil (fc 5) and three coils in one request (fc 15), reads them back and polls the new values; refuses a read-only one', async () => {
    const up = await rig.startSim(['modbus', '--profile', 'roadside-cabinet', '--tcp-port', '0', '--units', '1']);
    const config = {
      gateway: { id: 'gw-e2e71' },
      cloud: { url: `mqtt://127.0.0.1:${rig.cloud.port}` },
      store: { path: join(rig.dir, 'outbox.db') },
      ingest: {
        modbus: [{ tcp: { host: '127.0.0.1', port: up.address }, slaves: [{ unit: 1, device: 'cab-1', periodMs: 100, points: [
          { stream: 'fan', fc: 3, address: 100, unit: '%', writable: true },
          { stream: 'version', fc: 3, address: 101 },
          { stream: 'setpoint', fc: 3, address: 102, type: 'float32', unit: 'degC', writable: true },
          { stream: 'heater', fc: 1, address: 0, writable: true },
          { stream: 'light', fc: 1, address: 1, writable: true },
          { stream: 'sign', fc: 1, address: 2, writable: true },
          { stream: 'contactor', fc: 1, address: 3 },
        ] }] }],
      },
    };
    await rig.startAgent(config);
    const call = rig.call;
    await call('POST', '/v1/devices', { id: 'cab-1', kind: 'device', gateway: 'gw-e2e71' });
    /** the values of each stream of cab-1 that reached the cloud's queue since the last call */
    const pulled = async (): Promise<Record<string, unknown[]>> => {
      const r = await call('POST', '/v1/queues/telemetry/groups/e2e71/pull', { member: 'm', max: 1000, waitMs: 200 });
      if (r.messages.length > 0) await call('POST', '/v1/queues/telemetry/groups/e2e71/ack', { member: 'm', offsets: r.messages.map((m: { offset: number }) => m.offset) });
      const out: Record<string, unknown[]> = {};
      for (const m of r.messages as Array<{ topic: string; envelope: { readings: { value: unknown }[] } }>) {
        const stream = m.topic.split('/')[3]!;
        (out[stream] ??= []).push(...m.envelope.readings.map((x) => x.value));
      }
      return out;
    };
    const fanValues = async (): Promise<number[]> => ((await pulled()).fan ?? []) as number[];
    await waitFor('the fan set point polled at 50', 30_000, async () => ((await fanValues()).includes(50) ? true : undefined));

    const settle = async (name: string, args: Record<string, unknown>): Promise<{ state: string; output?: unknown; error?: unknown }> => {
      const id = (await call('POST', '/v1/commands', { name, device: 'cab-1', args })).command.id as string;
      return waitFor(`command ${name} ${JSON.stringify(args)} settled`, 30_000, async () => {
        const t = (await call('GET', `/v1/commands/${id}/targets`)).targets[0];
        return t !== undefined && ['SUCCEEDED', 'FAILED', 'REJECTED', 'TIMED_OUT'].includes(t.state) ? t : undefined;
      });
    };

    const ok = await settle('write', { stream: 'fan', value: 80 });
    assert.equal(ok.state, 'SUCCEEDED', JSON.stringify(ok));
    assert.deepEqual(ok.output, { reply: 'ok fan=80' });
    await waitFor('the fan set point polled at 80', 30_000, async () => ((await fanValues()).includes(80) ? true : undefined));

    const f32 = await settle('write', { stream: 'setpoint', value: 7.5 });
    assert.equal(f32.state, 'SUCCEEDED', JSON.stringify(f32));
    assert.deepEqual(f32.output, { reply: 'ok setpoint=7.5' });

    const coil = await settle('write', { stream: 'heater', value: true });
    assert.equal(coil.state, 'SUCCEEDED', JSON.stringify(coil));
    assert.deepEqual(coil.output, { reply: 'ok heater=true' });

    const refused = await settle('write', { stream: 'version', value: 3 });
    assert.equal(refused.state, 'REJECTED', JSON.stringify(refused));
    assert.match(JSON.stringify(refused), /version is not writable/);

    // Function code 15: adjacent coils in one request, read back together, then seen in the polls.
    const coils = await settle('write', { stream: 'heater,light,sign', value: 'off,on,on' });
    assert.equal(coils.state, 'SUCCEEDED', JSON.stringify(coils));
    assert.deepEqual(coils.output, { reply: 'ok heater=false light=true sign=true' });
    await waitFor('light and sign polled on, heater off', 30_000, async () => {
      const v = await pulled();
      return v.light?.at(-1) === true && v.sign?.at(-1) === true && v.heater?.at(-1) === false ? true : undefined;
    });
    // A coil not declared writable among them: REJECTED, nothing written (the contactor stays on).
    const mixed = await settle('write', { stream: 'sign,contactor', value: 'off,off' });
    assert.equal(mixed.state, 'REJECTED', JSON.stringify(mixed));
    assert.match(JSON.stringify(mixed), /contactor is not writable/);
    await waitFor('sign still on and contactor still on after the refused write', 30_000, async () => {
      const v = await pulled();
      return v.sign?.at(-1) === true && v.contactor?.at(-1) === true ? true : undefined;
    });

    // What went over the wire: one fc 5 (heater on), one fc 6 (fan), one fc 16 (the float32), one fc 15
    // (three coils); the refused writes sent nothing.
    const summary = await rig.sim!.stop();
    rig.sim = undefined;
    const fcs = (summary?.functions ?? {}) as Record<string, number>;
    assert.deepEqual([fcs['5'], fcs['6'], fcs['15'], fcs['16']], [1, 1, 1, 1], JSON.stringify(summary));
  });
});
