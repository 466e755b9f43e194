import assert from 'node:assert/strict';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { waitFor } from '../../../cloud/test/e2e/fixtures/broker-process.js';
import { useFieldBusRig } from './fixtures/field-bus-rig.js';

/**
 * Issue 19 with real processes: a remote config may not make a Modbus register writable, point a bus at
 * another host, or add a CAN adapter. The cloud refuses such a PUT (400 naming the key); a document that
 * gets past the API (published retained by an admin client) is REJECTED by the agent naming the key, and
 * a `write` to the register stays refused without touching the slave.
 */
describe('edge e2e 74: remote config may not make a Modbus register writable or move a bus @e2e', function () {
  this.timeout(90_000);
  const rig = useFieldBusRig('edge-e2e74');

  it('the cloud and the agent refuse it naming ingest.modbus; the register stays read-only', async () => {
    const up = await rig.startSim(['modbus', '--profile', 'roadside-cabinet', '--tcp-port', '0', '--units', '1']);
    const { api, token, call, cloud } = rig;
    const secret = (await call('POST', '/v1/devices', { id: 'gw74' })).secret as string;
    await call('POST', '/v1/devices', { id: 'cab-1', kind: 'device', gateway: 'gw74' });

    const bus = (host: string, writable: boolean) => [{ tcp: { host, port: up.address }, slaves: [{ unit: 1, device: 'cab-1', periodMs: 200, points: [{ stream: 'fan', fc: 3, address: 100, unit: '%', ...(writable ? { writable: true } : {}) }] }] }];
    await rig.startAgent({
      gateway: { id: 'gw74' },
      cloud: { url: `mqtt://127.0.0.1:${cloud.port}`, username: 'gw74', password: secret, backoffBaseMs: 100, backoffMaxMs: 1000 },
      store: { path: join(rig.dir, 'outbox.db') },
      ingest: { modbus: bus('127.0.0.1', false) },
    });
    await waitFor('gw74 online', 20_000, async () => ((await call('GET', '/v1/devices/gw74')).online ? true : undefined));

    for (const [what, config, key] of [
      ['a writable register', { ingest: { modbus: bus('127.0.0.1', true) } }, 'ingest.modbus'],
      ['another Modbus TCP host', { ingest: { modbus: bus('203.0.113.9', false) } }, 'ingest.modbus'],
      ['a CAN adapter', { ingest: { can: [{ device: 'bus', slcan: { path: '/dev/ttyACM0' }, j1939: true }] } }, 'ingest.can'],
    ] as const) {
      const res = await fetch(`${api}/v1/config/gateways/gw74`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ config }) });
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(res.status, 400, `${what}: ${JSON.stringify(body)}`);
      assert.ok(body.error.message.includes(key), `${what}: ${body.error.message}`);
    }

    // past the API, as an older cloud would have let it through
    const admin = await mqtt.connectAsync(`mqtt://127.0.0.1:${cloud.port}`, { clientId: 'e2e74-admin', reconnectPeriod: 0 });
    await admin.publishAsync('config/gw74', JSON.stringify({ v: 1, type: 'config', version: 7, issuedAt: Date.now(), config: { ingest: { modbus: bus('127.0.0.1', true) } } }), { qos: 1, retain: true });
    await admin.endAsync();
    const r = await waitFor('config v7 reported', 30_000, async () => {
      const g = (await call('GET', '/v1/config/status')).gateways.find((x: { gateway: string }) => x.gateway === 'gw74');
      return g?.reportedVersion === 7 ? g : undefined;
    });
    assert.equal(r.status, 'REJECTED', JSON.stringify(r));
    assert.equal(r.error.key, 'ingest.modbus');

    const id = (await call('POST', '/v1/commands', { name: 'write', device: 'cab-1', args: { stream: 'fan', value: 99 } })).command.id as string;
    const t = await waitFor('write settled', 30_000, async () => {
      const x = (await call('GET', `/v1/commands/${id}/targets`)).targets[0];
      return x !== undefined && ['SUCCEEDED', 'FAILED', 'REJECTED', 'TIMED_OUT'].includes(x.state) ? x : undefined;
    });
    assert.equal(t.state, 'REJECTED', JSON.stringify(t));
    assert.match(JSON.stringify(t), /fan is not writable/);
    // the slave's register is untouched: polls after the refusal still read the profile's 50
    const after = Date.now();
    const later: number[] = [];
    await waitFor('fan polled after the refused write', 20_000, async () => {
      const q = await call('POST', '/v1/queues/telemetry/groups/e2e74/pull', { member: 'm', max: 1000, waitMs: 200 });
      if (q.messages.length > 0) await call('POST', '/v1/queues/telemetry/groups/e2e74/ack', { member: 'm', offsets: q.messages.map((m: { offset: number }) => m.offset) });
      for (const m of q.messages) if (m.envelope.stream === 'fan') for (const x of m.envelope.readings) if (x.ts > after) later.push(x.value);
      return later.length >= 3 ? true : undefined;
    });
    assert.deepEqual([...new Set(later)], [50], 'the register still holds 50');
  });
});
