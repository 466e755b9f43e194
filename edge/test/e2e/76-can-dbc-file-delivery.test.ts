import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { apiCall, startBroker, waitFor, type BrokerProcess } from '../../../cloud/test/e2e/fixtures/broker-process.js';
import { startAgent, type Agent } from '../helpers/agent.js';
import { SimProcess, waitUntil } from '../ingest/helpers/sim-process.js';

const run = promisify(execFile);

/** The battery message `causeway-sim can` puts on the bus (id 0x400), its state of charge named `soc`. */
const batteryDbc = (soc: string): string => `VERSION ""

BU_: BMS

BO_ 1024 Battery: 4 BMS
 SG_ PackVoltage : 7|16@0+ (0.1,0) [0|1000] "V" Vector__XXX
 SG_ ${soc} : 16|8@1+ (0.5,0) [0|100] "%" Vector__XXX
`;

/**
 * Issue 19, "the DBC file can be delivered … by the file delivery of the updates issue", with real
 * processes: `causeway file publish` a signed DBC → `causeway rollout` to a running agent that reads a
 * simulated SLCAN adapter with its `ingest.can[0].dbc` inside `files.root`; the agent installs the file
 * (verified, atomically by rename), its watch picks the new DBC up without a SIGHUP or a restart, and the
 * newly named signal reaches the cloud's server-side queue.
 */
describe('edge e2e 76: a CAN DBC delivered by signed file delivery to a running agent @e2e', function () {
  this.timeout(180_000);
  let dir: string;
  let cloud: BrokerProcess;
  let agent: Agent | undefined;
  let sim: SimProcess | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edge-e2e76-'));
  });
  after(async () => {
    await agent?.kill('SIGKILL');
    await sim?.stop();
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publish → rollout → installed at the DBC path → decoded with the new names, same adapter session', async () => {
    const token = 'operator-token-for-e2e-76';
    const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'cloud/src/cli/main.ts', ...args], { env: { ...process.env, CAUSEWAY_TOKEN: token }, timeout: 60_000 });
    const key = join(dir, 'release-key.pem');
    const trusted = (await cli(['keys', 'init', '--key', key])).stdout.trim().split('\n').at(-1)!;
    writeFileSync(join(dir, 'cloud.json'), JSON.stringify({ files: { trustedKeys: [trusted] }, api: { operatorToken: token } }));
    cloud = await startBroker(join(dir, 'cloud'), ['--config', join(dir, 'cloud.json'), '--auth.allowAnonymous', 'false']);
    const api = `http://127.0.0.1:${cloud.apiPort}`;
    const call = (method: string, path: string, body?: unknown): Promise<any> => apiCall(api, token, method, path, body);
    const secret = (await call('POST', '/v1/devices', { id: 'gw76' })).secret as string;

    const link = join(dir, 'ttyCAN');
    sim = new SimProcess(['can', '--profile', 'city-bus', '--link', link, '--rate', '20']);
    await sim.waitFor('listening');
    const root = join(dir, 'files');
    const dbc = join(root, 'can', 'battery.dbc');
    mkdirSync(join(root, 'can'), { recursive: true });
    writeFileSync(dbc, batteryDbc('SoC')); // what the gateway was installed with
    writeFileSync(join(dir, 'edge.json'), JSON.stringify({
      gateway: { id: 'gw76' },
      cloud: { url: `mqtt://127.0.0.1:${cloud.port}`, username: 'gw76', password: secret, backoffBaseMs: 100, backoffMaxMs: 1000 },
      store: { path: join(dir, 'outbox.db') },
      health: { port: 0 },
      files: { root, trustedKeys: [trusted], chunkTimeoutMs: 3000 },
      ingest: { can: [{ name: 'bus-can', device: 'bus-12', slcan: { path: link, bitrate: 250_000 }, j1939: true, dbc, minIntervalMs: 100 }] },
    }));
    agent = startAgent(['--config', join(dir, 'edge.json')]);
    await waitUntil(() => agent!.logs.some((l) => l.msg === 'agent started'), 20_000, () => `agent started; stderr ${agent!.stderr.slice(-800)}`);
    const health = `http://127.0.0.1:${agent.logs.find((l) => l.msg === 'agent started')!.healthPort as number}`;
    await waitFor('gw76 online', 30_000, async () => ((await call('GET', '/v1/devices/gw76')).online ? true : undefined));

    const arrives = async (stream: string, n: number, since: number): Promise<unknown[]> => {
      const values: unknown[] = [];
      await waitFor(`${n} readings of ${stream} at the queue`, 30_000, async () => {
        const r = await call('POST', '/v1/queues/telemetry/groups/e2e76/pull', { member: 'm', max: 1000, waitMs: 300 });
        if (r.messages.length > 0) await call('POST', '/v1/queues/telemetry/groups/e2e76/ack', { member: 'm', offsets: r.messages.map((m: { offset: number }) => m.offset) });
        for (const m of r.messages) if (m.envelope.device === 'bus-12' && m.envelope.stream === stream) for (const x of m.envelope.readings) if (x.ts > since) values.push(x.value);
        return values.length >= n ? true : undefined;
      });
      return values;
    };
    assert.deepEqual((await arrives('SoC', 3, 0)).slice(0, 3), [80, 80, 80]);

    writeFileSync(join(dir, 'battery-v2.dbc'), batteryDbc('StateOfCharge'));
    await cli(['--url', api, 'file', 'publish', join(dir, 'battery-v2.dbc'), '--name', 'bus-dbc', '--version', 'v2', '--path', 'can/battery.dbc', '--key', key]);
    const id = JSON.parse((await cli(['--url', api, 'rollout', 'bus-dbc', 'v2', '--gateway', 'gw76', '--json'])).stdout).command.id as string;
    const t = await waitFor(`rollout ${id} finished`, 60_000, async () => {
      const x = (await call('GET', `/v1/commands/${id}/targets`)).targets[0];
      return x !== undefined && ['SUCCEEDED', 'FAILED', 'REJECTED', 'TIMED_OUT', 'EXPIRED', 'CANCELED', 'ROLLED_BACK'].includes(x.state) ? x : undefined;
    });
    assert.equal(t.state, 'SUCCEEDED', JSON.stringify(t));
    assert.equal(readFileSync(dbc, 'utf8'), batteryDbc('StateOfCharge'), 'installed at the path ingest.can[0].dbc names');

    const since = Date.now();
    assert.deepEqual((await arrives('StateOfCharge', 3, since)).slice(0, 3), [80, 80, 80], 'the delivered DBC names the signal StateOfCharge');
    const metrics = await (await fetch(`${health}/metrics`)).text();
    assert.match(metrics, /causeway_can_dbc_events\{source="can:bus-can",event="loaded"\} 2\b/);
    assert.match(metrics, /causeway_ingest_source_events\{source="can:bus-can",counter="opens"\} 1\b/, 'the adapter stayed open');
    assert.ok(!agent.logs.some((l) => l.msg === 'config applied'), 'no reload or restart was needed');
  });
});
