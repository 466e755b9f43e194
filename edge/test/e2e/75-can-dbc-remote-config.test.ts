import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { waitFor } from '../../../cloud/test/e2e/fixtures/broker-process.js';
import { useFieldBusRig } from './fixtures/field-bus-rig.js';

/** The battery message `causeway-sim can` puts on the bus (id 0x400), its state of charge named `soc`. */
const batteryDbc = (soc: string): string => `VERSION ""

BU_: BMS

BO_ 1024 Battery: 4 BMS
 SG_ PackVoltage : 7|16@0+ (0.1,0) [0|1000] "V" Vector__XXX
 SG_ ${soc} : 16|8@1+ (0.5,0) [0|100] "%" Vector__XXX
`;
/** line 5 declares a 2-byte message, line 7 a signal past it */
const BROKEN_DBC = 'VERSION ""\n\nBU_: BMS\n\nBO_ 1024 Battery: 2 BMS\n SG_ PackVoltage : 7|16@0+ (0.1,0) [0|1000] "V" Vector__XXX\n SG_ SoC : 16|8@1+ (0.5,0) [0|100] "%" Vector__XXX\n';

/**
 * Issue 19, "the DBC file can be delivered by remote config or by file delivery", with real processes: an
 * agent reads a simulated SLCAN adapter with J1939 and a DBC file. (1) A new DBC written to that path is
 * picked up by the file watch, no SIGHUP; a broken one is counted `failed` and the previous one keeps
 * decoding. (2) An operator pushes a DBC through the cloud's config API (`ingest.canDbc`); the gateway
 * reports APPLIED and the newly named signals reach the cloud's server-side queue, with the bus never
 * reopened; before that, a config that restarts the sources while the file is broken keeps the DBC in
 * use. (3) A DBC that does not parse is refused by the cloud (400 with its line) and, past the API,
 * REJECTED by the agent naming the key, the DBC in use unchanged.
 */
describe('edge e2e 75: a CAN DBC delivered by remote config and by a watched file @e2e', function () {
  this.timeout(120_000);
  const rig = useFieldBusRig('edge-e2e75');

  it('file change and remote config each put a new DBC in use; a bad one is counted or rejected, the previous kept', async () => {
    const { dir, api, token, call, cloud, metric } = rig;
    const link = join(dir, 'ttyCAN');
    await rig.startSim(['can', '--profile', 'city-bus', '--link', link, '--rate', '20']);
    const secret = (await call('POST', '/v1/devices', { id: 'gw75' })).secret as string;

    const dbc = join(dir, 'battery.dbc');
    writeFileSync(dbc, batteryDbc('SoC'));
    const agent = await rig.startAgent({
      gateway: { id: 'gw75' },
      cloud: { url: `mqtt://127.0.0.1:${cloud.port}`, username: 'gw75', password: secret, backoffBaseMs: 100, backoffMaxMs: 1000 },
      store: { path: join(dir, 'outbox.db') },
      health: { port: 0 },
      ingest: { can: [{ name: 'bus-can', device: 'bus-12', slcan: { path: link, bitrate: 250_000 }, j1939: true, dbc, minIntervalMs: 100 }] },
    });
    const dbcEvents = async (): Promise<[number, number]> => [await metric('causeway_can_dbc_events', 'source="can:bus-can",event="loaded"'), await metric('causeway_can_dbc_events', 'source="can:bus-can",event="failed"')];

    /** Pulls the queue until `stream` of bus-12 arrived `n` times after `since`; returns its values. */
    const arrives = async (stream: string, n: number, since: number): Promise<unknown[]> => {
      const values: unknown[] = [];
      await waitFor(`${n} readings of ${stream} at the queue`, 30_000, async () => {
        const r = await call('POST', '/v1/queues/telemetry/groups/e2e75/pull', { member: 'm', max: 1000, waitMs: 300 });
        if (r.messages.length > 0) await call('POST', '/v1/queues/telemetry/groups/e2e75/ack', { member: 'm', offsets: r.messages.map((m: { offset: number }) => m.offset) });
        for (const m of r.messages) if (m.envelope.device === 'bus-12' && m.envelope.stream === stream) for (const x of m.envelope.readings) if (x.ts > since) values.push(x.value);
        return values.length >= n ? true : undefined;
      });
      return values;
    };

    assert.deepEqual((await arrives('SoC', 3, 0)).slice(0, 3), [80, 80, 80], 'the start-up DBC decodes SoC');
    assert.deepEqual(await dbcEvents(), [1, 0]);

    // (1) file delivery: the watched file changes, no SIGHUP
    writeFileSync(dbc, batteryDbc('StateOfCharge'));
    await waitFor('the changed file counted as loaded', 15_000, async () => ((await dbcEvents())[0] === 2 ? true : undefined));
    let t = Date.now();
    assert.deepEqual((await arrives('StateOfCharge', 3, t)).slice(0, 3), [80, 80, 80], 'the changed file names the signal StateOfCharge');
    writeFileSync(dbc, BROKEN_DBC);
    await waitFor('the broken file counted as failed', 15_000, async () => ((await dbcEvents())[1] === 1 ? true : undefined));
    assert.ok(agent.logs.some((l) => l.msg === 'DBC file not reloaded; the previous one stays in use' && l.configKey === 'ingest.can[0].dbc'), 'logged with its key');
    t = Date.now();
    await arrives('StateOfCharge', 3, t); // still decoding with the previous DBC

    // (2) remote config: `causeway config set --file` sends this document to PUT /v1/config/gateways/gw75
    const put = async (config: unknown): Promise<{ status: number; body: any }> => {
      const res = await fetch(`${api}/v1/config/gateways/gw75`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ config }) });
      return { status: res.status, body: await res.json() };
    };
    const reported = (version: number): Promise<any> =>
      waitFor(`config v${version} reported`, 30_000, async () => {
        const g = (await call('GET', '/v1/config/status')).gateways.find((x: { gateway: string }) => x.gateway === 'gw75');
        return g?.reportedVersion === version ? g : undefined;
      });
    // A remote config that restarts the CAN sources while the file is still broken: the restart keeps
    // the DBC in use (counted failed again) rather than failing, and the config is APPLIED.
    const restart = await put({ ingest: { tickMs: 500 } });
    assert.equal(restart.status, 200, JSON.stringify(restart.body));
    assert.equal((await reported(restart.body.version as number)).status, 'APPLIED');
    assert.ok(agent.logs.some((l) => l.msg === 'DBC file not read; the previous one stays in use' && l.configKey === 'ingest.can[0].dbc'));
    t = Date.now();
    await arrives('StateOfCharge', 3, t);
    assert.deepEqual(await dbcEvents(), [2, 2], 'the restart counted the file that failed again, and loaded nothing');
    const opens = await metric('causeway_ingest_source_events', 'source="can:bus-can",counter="opens"');

    // a remote document replaces the previous one: it carries tickMs again, or the sources would restart
    const ok = await put({ ingest: { tickMs: 500, canDbc: { 'bus-can': batteryDbc('ChargeLevel') } } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const v1 = ok.body.version as number;
    assert.equal((await reported(v1)).status, 'APPLIED');
    t = Date.now();
    assert.deepEqual((await arrives('ChargeLevel', 3, t)).slice(0, 3), [80, 80, 80], 'the pushed DBC names the signal ChargeLevel');
    assert.deepEqual((await arrives('PackVoltage', 3, t)).slice(0, 3), [400, 400, 400]);
    assert.deepEqual(await dbcEvents(), [3, 2]);
    assert.equal(await metric('causeway_ingest_source_events', 'source="can:bus-can",counter="opens"'), opens, 'the adapter was not reopened');

    // (3) a DBC that does not parse: the cloud says which line; past the API the agent rejects it
    const bad = await put({ ingest: { canDbc: { 'bus-can': BROKEN_DBC } } });
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
    assert.ok(bad.body.error.message.length < 600, `the error quotes the head of the DBC, not all of it: ${bad.body.error.message}`);
    assert.match(bad.body.error.message, /^ingest\.canDbc: bus-can: line 7: signal SoC runs past message Battery's 2 bytes/);
    const admin = await mqtt.connectAsync(`mqtt://127.0.0.1:${cloud.port}`, { clientId: 'e2e75-admin', reconnectPeriod: 0 });
    await admin.publishAsync('config/gw75', JSON.stringify({ v: 1, type: 'config', version: v1 + 1, issuedAt: Date.now(), config: { ingest: { canDbc: { 'bus-can': BROKEN_DBC } } } }), { qos: 1, retain: true });
    await admin.endAsync();
    const rejected = await reported(v1 + 1);
    assert.equal(rejected.status, 'REJECTED', JSON.stringify(rejected));
    assert.equal(rejected.error.key, 'ingest.canDbc');
    assert.match(rejected.error.message, /bus-can: line 7: signal SoC runs past/);
    t = Date.now();
    await arrives('ChargeLevel', 3, t); // the pushed DBC stays in use
    assert.deepEqual(await dbcEvents(), [3, 2]);
  });
});
