import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { decodeMessage, decodeObd2Answer, decodeSpn, encodeSlcanFrame, J1939_SPNS, obd2Request, parseDbc, parseJ1939Id, parseSlcanLine, SlcanSplitter, type CanFrame } from '@causeway/shared/can/index.js';
import { startSlcanAdapter } from '../../src/can/slcan-adapter.js';
import { BATTERY_DBC, VEHICLE_PROFILES, vehicleFrames } from '../../src/can/vehicle-profile.js';

describe('can/vehicle-profile', () => {
  it('puts on the bus what the shared decoders read back: J1939 SPNs and the DBC battery message', () => {
    const s = VEHICLE_PROFILES.idle!.at(0);
    const frames = vehicleFrames(s);
    const spn = (pgn: number): number | undefined => {
      const f = frames.find((x) => x.extended && parseJ1939Id(x.id).pgn === pgn)!;
      return decodeSpn(J1939_SPNS.find((d) => d.pgn === pgn)!, f.data);
    };
    assert.deepEqual([spn(61444), spn(65265), spn(65276)], [s.engineRpm, s.speedKmh, s.fuelPct]);
    const dbc = parseDbc(BATTERY_DBC);
    const battery = frames.find((x) => x.id === 0x400)!;
    assert.deepEqual(decodeMessage(dbc.messages.get(0x400)!, battery.data).signals.map((x) => [x.name, x.value, x.unit]), [['PackVoltage', s.packV, 'V'], ['SoC', s.socPct, '%']]);
  });
});

// The simulated adapter over a real PTY (socat), driven like the agent drives a CANable.
describe('can/slcan-adapter', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'sim-slcan-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('answers set-up commands, refuses S while open, broadcasts with timestamps, answers OBD-II', async () => {
    const adapter = await startSlcanAdapter({ link: join(dir, 'ttyCAN'), profile: VEHICLE_PROFILES['city-bus']!, rate: 50 });
    const port = await new Promise<SerialPort>((resolve, reject) => {
      const p = new SerialPort({ path: join(dir, 'ttyCAN'), baudRate: 115200, autoOpen: false });
      p.open((err) => (err ? reject(err) : resolve(p)));
    });
    const lines: string[] = [];
    const split = new SlcanSplitter();
    port.on('data', (c: Buffer) => lines.push(...split.push(c)));
    const until = async (cond: () => boolean): Promise<void> => {
      const end = Date.now() + 5000;
      while (!cond()) {
        if (Date.now() > end) throw new Error(`timed out; lines ${JSON.stringify(lines.slice(0, 10))}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    try {
      port.write('C\rS5\rZ1\r');
      await until(() => lines.length >= 3);
      assert.deepEqual(lines.splice(0), ['', '', '']);
      port.write('O\r');
      const frames = (): CanFrame[] => lines.map((l) => parseSlcanLine(l)).flatMap((m) => ('kind' in m && m.kind === 'frame' ? [m.frame] : []));
      await until(() => frames().length >= 8);
      assert.ok(frames().every((f) => f.ts !== undefined && f.ts < 60_000), 'Z1: every frame timestamped');
      port.write('S6\r');
      await until(() => lines.includes('\x07'));
      port.write(encodeSlcanFrame({ id: 0x7df, extended: false, remote: false, dlc: 8, data: obd2Request(0x0c) }));
      await until(() => frames().some((f) => f.id === 0x7e8));
      const answer = frames().find((f) => f.id === 0x7e8)!;
      assert.deepEqual(decodeObd2Answer(answer.id, answer.data), { pid: 0x0c, name: 'engine_speed', value: 1500, unit: 'rpm' });
      assert.equal(adapter.stats.opens, 1);
      assert.equal(adapter.stats.obdAnswers, 1);
      assert.equal(adapter.stats.commandsRefused, 1);
    } finally {
      await new Promise<void>((r) => port.close(() => r()));
      await adapter.stop();
    }
  });
});
