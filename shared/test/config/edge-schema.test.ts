import assert from 'node:assert/strict';
import { validateRemoteEdgeConfig, remoteEdgeSchema } from '../../src/config/edge-schema.js';
import { describeSchema } from '../../src/config/load-config.js';
import { edgeSchema } from '@causeway/edge/config/schema.js';

describe('shared/config/edge-schema: remote config checked against the agent schema', () => {
  const refused: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['unknown section', { foo: 1 }, 'foo', /^foo: unknown key \(sections: gateway, cloud/],
    ['unknown key, close to a real one', { uplink: { inflihgt: 4 } }, 'uplink.inflihgt', /^uplink\.inflihgt: unknown key; did you mean inflight\?/],
    ['unknown nested key', { ingest: { mqtt: { hots: 'x' } } }, 'ingest.mqtt.hots', /unknown key/],
    ['wrong type', { uplink: { inflight: 'lots' } }, 'uplink.inflight', /^uplink\.inflight: must be a positive integer, got "lots"$/],
    ['not one of the values', { uplink: { codec: 'xml' } }, 'uplink.codec', /^uplink\.codec: must be one of the possible values/],
    ['a section given a scalar', { uplink: 5 }, 'uplink', /^uplink: must be an object with keys maxBytesPerSecond/],
    ['a port with an unknown key', { ingest: { ports: [{ path: '/dev/x', device: 'a', bogus: 1 }] } }, 'ingest.ports', /unknown key "bogus"/],
    ['rules an object, not an array', { ingest: { rules: {} } }, 'ingest.rules', /^ingest\.rules: must be an array, got {}$/],
    ['rules not objects', { ingest: { rules: [5] } }, 'ingest.rules', /must be an array of rule objects/],
    ['modbus buses not objects', { ingest: { modbus: ['tcp'] } }, 'ingest.modbus', /must be an array of \{rtu \| tcp, slaves\} bus objects/],
    ['CAN DBCs as a list', { ingest: { canDbc: ['x'] } }, 'ingest.canDbc', /must be an object \{<CAN source name>: "<DBC file text>"\}/],
    ['a CAN DBC that is not text', { ingest: { canDbc: { j1939: 5 } } }, 'ingest.canDbc', /j1939: must be the text of a DBC file/],
    ['a CAN DBC that does not parse, with its line', { ingest: { canDbc: { j1939: 'BO_ 256 M: 2 X\n SG_ S : 8|16@1+ (1,0) [0|0] "" X\n' } } }, 'ingest.canDbc', /j1939: line 2: signal S runs past message M's 2 bytes/],
    ['a CAN DBC too large for a config message', { ingest: { canDbc: { j1939: `VERSION ""\n${' '.repeat(600 * 1024)}` } } }, 'ingest.canDbc', /larger than 524288; deliver it as a file/],
  ];
  for (const [name, doc, key, msg] of refused) {
    it(`refuses ${name}`, () => {
      assert.throws(() => validateRemoteEdgeConfig(doc), (e: any) => e.code === 'CONFIG_INVALID' && e.key === key && msg.test(e.message));
    });
  }

  it('accepts partial documents with valid keys and types', () => {
    validateRemoteEdgeConfig({});
    validateRemoteEdgeConfig({ uplink: { inflight: 4, codec: 'json' }, ingest: { tickMs: 500, rules: [{ stream: 'temp', pipeline: [] }] }, log: { level: 'debug' } });
    validateRemoteEdgeConfig({ ingest: { modbus: [{ tcp: { host: '10.0.0.5' }, slaves: [{ unit: 1, device: 'm', points: [{ stream: 'v', fc: 4, address: 0 }] }] }] } });
    validateRemoteEdgeConfig({ ingest: { canDbc: { j1939: 'BO_ 1024 Battery: 4 BMS\n SG_ SoC : 16|8@1+ (0.5,0) [0|100] "%" X\n' } } });
  });

  it('declares the same keys, formats and defaults the agent loads (one source of truth)', () => {
    const plain = (s: typeof edgeSchema) => describeSchema(s).map((e) => [e.key, e.default, e.doc]);
    assert.deepEqual(plain(remoteEdgeSchema), plain(edgeSchema));
  });
});
