import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@causeway/shared';
import { validateCan } from '../../../src/ingest/can/can-config.js';
import { compileRules } from '../../../src/ingest/stream-processor.js';

const dir = mkdtempSync(join(tmpdir(), 'can-config-'));
const goodDbc = join(dir, 'ok.dbc');
writeFileSync(goodDbc, 'BO_ 256 M: 8 X\n SG_ S : 0|8@1+ (1,0) [0|0] "" X\n');
const badDbc = join(dir, 'bad.dbc');
writeFileSync(badDbc, 'BO_ 256 M: 2 X\n SG_ S : 8|16@1+ (1,0) [0|0] "" X\n');

const slcan = { path: '/dev/ttyACM0' };

describe('edge/ingest/can/can-config', () => {
  it('accepts an SLCAN bus with J1939, OBD-II and a DBC, a candump replay and a SocketCAN interface', () => {
    validateCan([
      { device: 'bus-12', slcan: { ...slcan, bitrate: 250_000 }, j1939: true, obd2: { pids: [12, 13], periodMs: 500 }, dbc: goodDbc, minIntervalMs: 100, signals: { engine_speed: { onChange: true } } },
      { device: 'replay', candump: { path: '/tmp/x.log', speed: 0 }, j1939: true },
      { device: 'car', socketcan: { interface: 'can0' }, j1939: true },
    ]);
  });
  it('the bus example of docs/field-buses.md is a valid config (its DBC path aside)', () => {
    const md = readFileSync(new URL('../../../../docs/field-buses.md', import.meta.url), 'utf8');
    const block = [...md.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('"can"'))!;
    const doc = JSON.parse(block) as { ingest: { can: unknown; rules: never } };
    validateCan(doc.ingest.can, 'ingest.can', false);
    compileRules(doc.ingest.rules);
  });
  const BAD: Array<[string, unknown, string, RegExp]> = [
    ['not an array', {}, 'ingest.can', /an array of CAN sources/],
    ['no source kind', [{ device: 'd', j1939: true }], 'ingest.can[0]', /exactly one of slcan/],
    ['two source kinds', [{ device: 'd', slcan, candump: { path: 'x' }, j1939: true }], 'ingest.can[0]', /exactly one of/],
    ['an unknown key', [{ device: 'd', slcan, j1939: true, dbcFile: 'x' }], 'ingest.can[0].dbcFile', /unknown key "dbcFile"/],
    ['a non-standard bitrate', [{ device: 'd', slcan: { ...slcan, bitrate: 333 }, j1939: true }], 'ingest.can[0].slcan.bitrate', /one of 10000/],
    ['no decoder', [{ device: 'd', slcan }], 'ingest.can[0]', /decodes nothing/],
    ['an undecoded OBD-II PID', [{ device: 'd', slcan, obd2: { pids: [12, 99] } }], 'ingest.can[0].obd2.pids', /decoded mode 01 PIDs/],
    ['OBD-II on a replay', [{ device: 'd', candump: { path: 'x' }, obd2: { pids: [12] } }], 'ingest.can[0].obd2', /can transmit/],
    ['a missing DBC file', [{ device: 'd', slcan, dbc: join(dir, 'none.dbc') }], 'ingest.can[0].dbc', /cannot read DBC file/],
    ['a DBC file with a bad signal, naming the line', [{ device: 'd', slcan, dbc: badDbc }], 'ingest.can[0].dbc', /bad\.dbc line 2: signal S runs past message M's 2 bytes/],
    ['a negative minIntervalMs', [{ device: 'd', slcan, j1939: true, signals: { rpm: { minIntervalMs: -1 } } }], 'ingest.can[0].signals.rpm.minIntervalMs', /≥ 0/],
    ['the same adapter twice', [{ device: 'a', slcan, j1939: true }, { device: 'b', slcan, j1939: true }], 'ingest.can[1]', /configured twice/],
    ['a bad interface name', [{ device: 'd', socketcan: { interface: 'can0; rm' }, j1939: true }], 'ingest.can[0].socketcan.interface', /interface name/],
  ];
  for (const [what, v, key, msg] of BAD) {
    it(`refuses ${what}, naming ${key}`, () => {
      assert.throws(() => validateCan(v), (e: unknown) => e instanceof ConfigError && e.key === key && msg.test(e.message));
    });
  }
});
