import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCall, startBroker, type BrokerProcess } from '../../../cloud/test/e2e/fixtures/broker-process.js';
import { startAgent, type Agent } from '../helpers/agent.js';
import { SimProcess, waitUntil } from '../ingest/helpers/sim-process.js';

/** The roadside cabinet map of `causeway-sim modbus --profile roadside-cabinet` (firmware-sim/src/modbus/cabinet-profile.ts). */
const cabinetPoints = [
  { stream: 'voltage', fc: 4, address: 0, type: 'float32', unit: 'V' },
  { stream: 'temp', fc: 4, address: 2, type: 'int16', scale: 0.1, unit: 'degC' },
  { stream: 'energy', fc: 4, address: 3, type: 'uint32', wordOrder: 'little', scale: 0.001, unit: 'kWh' },
  { stream: 'fan', fc: 4, address: 5, bit: 2 },
  { stream: 'door', fc: 2, address: 0 },
];
const expected = (u: number): Record<string, [unknown, string | undefined]> => ({
  voltage: [230 + u / 10, 'V'],
  temp: [Number((20 + u / 10).toFixed(1)), 'degC'],
  energy: [(100000 * u + 12345) / 1000, 'kWh'],
  fan: [1, undefined],
  door: [u % 2 === 1, undefined],
});

/**
 * Issue 19, Modbus end to end: a real agent polls a simulated Modbus TCP gateway with eight slaves (one
 * dead, one answering a read with exception 4) and a Modbus RTU bus on a PTY (every 10th answer with a bad CRC); the readings reach the
 * cloud's server-side telemetry queue with their values and units, the dead slave does not hold the others
 * back, and /metrics counts the timeouts, the exception by code and the bad frames.
 */
describe('edge e2e 70: Modbus TCP and RTU slaves → agent → cloud server-side queue @e2e', function () {
  this.timeout(90_000);
  let dir: string;
  let cloud: BrokerProcess;
  let agent: Agent | undefined;
  const sims: SimProcess[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edge-e2e70-'));
    cloud = await startBroker(join(dir, 'cloud'));
  });
  after(async () => {
    await agent?.kill('SIGKILL');
    await Promise.all(sims.map((s) => s.stop()));
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('values and units at the queue; one dead slave among eight does not stop the others; exceptions and timeouts counted', async () => {
    const tcp = new SimProcess(['modbus', '--profile', 'roadside-cabinet', '--tcp-port', '0', '--units', '1-8', '--dead', '5', '--exception', '3:5:4']);
    const rtuLink = join(dir, 'ttyRS485');
    const rtu = new SimProcess(['modbus', '--profile', 'roadside-cabinet', '--link', rtuLink, '--units', '11-12', '--bad-crc-every', '10']);
    sims.push(tcp, rtu);
    const [tcpUp] = await tcp.waitFor('listening');
    await rtu.waitFor('listening');

    const tcpSlaves = [1, 2, 3, 4, 5, 6, 7, 8].map((u) => ({ unit: u, device: `cab-${u}`, periodMs: 100, timeoutMs: 300, backoff: { initialMs: 60_000 }, points: cabinetPoints }));
    const rtuSlaves = [11, 12].map((u) => ({ unit: u, device: `rtu-${u}`, periodMs: 200, timeoutMs: 300, points: cabinetPoints }));
    const config = {
      gateway: { id: 'gw-e2e70' },
      cloud: { url: `mqtt://127.0.0.1:${cloud.port}` },
      store: { path: join(dir, 'outbox.db') },
      health: { port: 0 },
      log: { level: 'info' },
      ingest: {
        modbus: [
          { name: 'cabinet-tcp', tcp: { host: '127.0.0.1', port: tcpUp!.address }, slaves: tcpSlaves },
          { name: 'cabinet-rtu', rtu: { path: rtuLink, baudRate: 115200 }, slaves: rtuSlaves },
        ],
      },
    };
    writeFileSync(join(dir, 'edge.json'), JSON.stringify(config));
    agent = startAgent(['--config', join(dir, 'edge.json')]);
    await waitUntil(() => agent!.logs.some((l) => l.msg === 'agent started'), 20_000, () => `agent started; stderr ${agent!.stderr.slice(-800)}`);
    const health = `http://127.0.0.1:${agent.logs.find((l) => l.msg === 'agent started')!.healthPort as number}`;

    // Pull the cloud's telemetry queue until every live slave has delivered every stream 20 times.
    const api = `http://127.0.0.1:${cloud.apiPort}`;
    const token = readFileSync(join(dir, 'cloud', 'operator-token'), 'utf8').trim();
    const got = new Map<string, { value: unknown; unit: string | undefined }[]>();
    const live = [...[1, 2, 3, 4, 6, 7, 8].map((u) => `cab-${u}`), 'rtu-11', 'rtu-12'];
    // cab-3 answers the coalesced input-register read (0–5) with exception 4: only its discrete input comes
    const streamsOf = (d: string): string[] => (d === 'cab-3' ? ['door'] : ['voltage', 'temp', 'energy', 'fan', 'door']);
    const enough = (): boolean => live.every((d) => streamsOf(d).every((s) => (got.get(`${d}/${s}`)?.length ?? 0) >= 20));
    const deadline = Date.now() + 60_000;
    while (!enough() && Date.now() < deadline) {
      const r = await apiCall(api, token, 'POST', '/v1/queues/telemetry/groups/e2e70/pull', { member: 'm', max: 1000, waitMs: 500 });
      for (const m of r.messages) {
        const b = m.envelope;
        for (const x of b.readings) {
          const k = `${b.device}/${b.stream}`;
          if (!got.has(k)) got.set(k, []);
          got.get(k)!.push({ value: x.value, unit: x.unit ?? b.unit });
        }
      }
      if (r.messages.length > 0) await apiCall(api, token, 'POST', '/v1/queues/telemetry/groups/e2e70/ack', { member: 'm', offsets: r.messages.map((m: { offset: number }) => m.offset) });
    }
    const counts = Object.fromEntries([...got].map(([k, v]) => [k, v.length]));
    assert.ok(enough(), `every live slave's streams reached the queue 20 times: ${JSON.stringify(counts)}`);

    for (const d of live) {
      const u = Number(d.split('-')[1]);
      for (const s of streamsOf(d)) {
        const [value, unit] = expected(u)[s]!;
        const seen = got.get(`${d}/${s}`)!;
        assert.ok(seen.every((x) => x.value === value && x.unit === unit), `${d}/${s}: expected ${String(value)} ${unit ?? ''}, got ${JSON.stringify(seen.slice(0, 3))}`);
      }
    }
    assert.equal([...got.keys()].filter((k) => k.startsWith('cab-5/')).length, 0, 'the dead slave delivered nothing');
    assert.deepEqual(['voltage', 'temp', 'energy', 'fan'].filter((s) => got.has(`cab-3/${s}`)), [], 'the read answered with an exception delivered nothing');

    const metrics = await (await fetch(`${health}/metrics`)).text();
    const metric = (name: string, labels: string): number => {
      const line = metrics.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
      assert.ok(line !== undefined, `${name}{${labels}} in /metrics`);
      return Number(line.split(' ').pop());
    };
    // backoff.initialMs 60 s: one timeout, then the slave is skipped for the rest of the test
    assert.equal(metric('causeway_modbus_slave_events', 'slave="cabinet-tcp/5",counter="timeouts"'), 1);
    assert.ok(metric('causeway_modbus_exceptions', 'slave="cabinet-tcp/3",code="4"') >= 20);
    assert.equal(metric('causeway_modbus_slave_events', 'slave="cabinet-tcp/3",counter="timeouts"'), 0);
    for (const u of [1, 2, 4, 6, 7, 8]) assert.ok(metric('causeway_modbus_slave_events', `slave="cabinet-tcp/${u}",counter="polls"`) >= 20);
    assert.ok(metric('causeway_modbus_slave_events', 'slave="cabinet-rtu/11",counter="reads"') >= 20);
    // every 10th RTU answer has a corrupted CRC: counted, dropped, the next polls go on
    const crc = metric('causeway_modbus_slave_events', 'slave="cabinet-rtu/11",counter="crcErrors"') + metric('causeway_modbus_slave_events', 'slave="cabinet-rtu/12",counter="crcErrors"');
    assert.ok(crc >= 4, `bad CRCs counted (${crc})`);
    assert.ok(metric('causeway_ingest_dropped_frames', 'source="modbus:cabinet-rtu",reason="bad-checksum"') >= 4);
  });
});
