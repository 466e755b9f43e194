import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCall, startBroker, waitFor, type BrokerProcess } from '../../../cloud/test/e2e/fixtures/broker-process.js';
import { startAgent, type Agent } from '../helpers/agent.js';
import { SimProcess, waitUntil } from '../ingest/helpers/sim-process.js';

/**
 * Issue 19, Modbus writes as device commands: `write {stream, value}` through the cloud's command path
 * to a simulated Modbus TCP slave, verified by read-back, seen in the next polled readings; a register
 * not declared writable is refused (REJECTED) without touching the bus.
 */
describe('edge e2e 71: a Modbus write as a device command, with read-back @e2e', function () {
  this.timeout(90_000);
  let dir: string;
  let cloud: BrokerProcess;
  let agent: Agent | undefined;
  let sim: SimProcess | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edge-e2e71-'));
    cloud = await startBroker(join(dir, 'cloud'));
  });
  after(async () => {
    await agent?.kill('SIGKILL');
    await sim?.stop();
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a holding register, reads it back and polls the new value; refuses a read-only one', async () => {
    sim = new SimProcess(['modbus', '--profile', 'roadside-cabinet', '--tcp-port', '0', '--units', '1']);
    const [up] = await sim.waitFor('listening');
    const config = {
      gateway: { id: 'gw-e2e71' },
      cloud: { url: `mqtt://127.0.0.1:${cloud.port}` },
      store: { path: join(dir, 'outbox.db') },
      ingest: {
        modbus: [{ tcp: { host: '127.0.0.1', port: up!.address }, slaves: [{ unit: 1, device: 'cab-1', periodMs: 100, points: [
          { stream: 'fan', fc: 3, address: 100, unit: '%', writable: true },
          { stream: 'version', fc: 3, address: 101 },
          { stream: 'heater', fc: 1, address: 0, writable: true },
        ] }] }],
      },
    };
    writeFileSync(join(dir, 'edge.json'), JSON.stringify(config));
    agent = startAgent(['--config', join(dir, 'edge.json')]);
    await waitUntil(() => agent!.logs.some((l) => l.msg === 'agent started'), 20_000, () => `agent started; stderr ${agent!.stderr.slice(-800)}`);

    const api = `http://127.0.0.1:${cloud.apiPort}`;
    const token = readFileSync(join(dir, 'cloud', 'operator-token'), 'utf8').trim();
    const call = (method: string, path: string, body?: unknown): Promise<any> => apiCall(api, token, method, path, body);
    await call('POST', '/v1/devices', { id: 'cab-1', kind: 'device', gateway: 'gw-e2e71' });
    const fanValues = async (): Promise<number[]> => {
      const r = await call('POST', '/v1/queues/telemetry/groups/e2e71/pull', { member: 'm', max: 1000, waitMs: 200 });
      if (r.messages.length > 0) await call('POST', '/v1/queues/telemetry/groups/e2e71/ack', { member: 'm', offsets: r.messages.map((m: { offset: number }) => m.offset) });
      return r.messages.filter((m: { topic: string }) => m.topic === 'telemetry/gw-e2e71/cab-1/fan').flatMap((m: { envelope: { readings: { value: number }[] } }) => m.envelope.readings.map((x) => x.value));
    };
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

    const coil = await settle('write', { stream: 'heater', value: true });
    assert.equal(coil.state, 'SUCCEEDED', JSON.stringify(coil));
    assert.deepEqual(coil.output, { reply: 'ok heater=true' });

    const refused = await settle('write', { stream: 'version', value: 3 });
    assert.equal(refused.state, 'REJECTED', JSON.stringify(refused));
    assert.match(JSON.stringify(refused), /version is not writable/);
  });
});
