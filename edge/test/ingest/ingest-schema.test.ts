import assert from 'node:assert/strict';
import { loadConfig, ConfigError } from '@causeway/shared';
import { ingestSchema, validateIngestConfig, type IngestConfig } from '../../src/ingest/ingest-schema.js';

const load = (ingest: string, key = 'ingest.ports'): IngestConfig =>
  loadConfig<{ ingest: IngestConfig }>({ ingest: ingestSchema }, { argv: [`--${key}`, ingest], env: {} }).ingest;

describe('ingest/ingest-schema', () => {
  it('defaults: no ports, no rules, no MQTT', () => {
    const c = loadConfig<{ ingest: IngestConfig }>({ ingest: ingestSchema }, { argv: [], env: {} }).ingest;
    assert.deepEqual(c.ports, []);
    assert.equal(c.mqtt.url, '');
    assert.equal(c.reopen.initialMs, 250);
    assert.deepEqual(c.modbus, []);
    assert.deepEqual(c.can, []);
  });

  it('a CAN adapter may not share its serial port, nor its device id, with a line-protocol port or a Modbus slave', () => {
    const base = loadConfig<{ ingest: IngestConfig }>({ ingest: ingestSchema }, { argv: [], env: {} }).ingest;
    const ports = [{ path: '/dev/ttyACM0', device: 'th-1' }];
    const modbus = [{ tcp: { host: 'h' }, slaves: [{ unit: 1, device: 'm-1', points: [{ stream: 'v', fc: 4 as const, address: 0 }] }] }];
    assert.throws(() => validateIngestConfig({ ...base, ports, can: [{ device: 'bus', slcan: { path: '/dev/ttyACM0' }, j1939: true }] }), /ingest\.can\[0\]\.slcan\.path \/dev\/ttyACM0 is also opened/);
    assert.throws(() => validateIngestConfig({ ...base, modbus, can: [{ device: 'm-1', slcan: { path: '/dev/ttyACM1' }, j1939: true }] }), /ingest\.can\[0\]\.device m-1 is also/);
    validateIngestConfig({ ...base, ports, modbus, can: [{ device: 'bus', slcan: { path: '/dev/ttyACM1' }, j1939: true }] });
  });

  it('a Modbus slave may not share its device id or its serial port with a line-protocol port', () => {
    const base = loadConfig<{ ingest: IngestConfig }>({ ingest: ingestSchema }, { argv: [], env: {} }).ingest;
    const slaves = [{ unit: 1, device: 'th-1', points: [{ stream: 'v', fc: 4 as const, address: 0 }] }];
    const ports = [{ path: '/dev/ttyUSB0', device: 'th-1' }];
    assert.throws(() => validateIngestConfig({ ...base, ports, modbus: [{ tcp: { host: 'h' }, slaves }] }), /slaves\[0\]\.device th-1 is also a serial port's device/);
    assert.throws(() => validateIngestConfig({ ...base, ports, modbus: [{ rtu: { path: '/dev/ttyUSB0' }, slaves: [{ ...slaves[0]!, device: 'm' }] }] }), /rtu\.path \/dev\/ttyUSB0 is also a line-protocol port/);
  });

  it('accepts a full port list from a flag (JSON)', () => {
    const ports = [{ path: '/dev/ttyUSB0', baudRate: 9600, device: 'th-1', framing: { type: 'line', maxLength: 200 }, protocol: { type: 'csv', columns: ['seq', 't'] }, ack: 'ACK {seq}' }];
    assert.deepEqual(load(JSON.stringify(ports)).ports, ports);
  });

  const bad: [string, string, RegExp][] = [
    ['ingest.ports', '[{"path":"/dev/x"}]', /ingest\.ports\[0\]\.device must be a valid device id/],
    ['ingest.ports', '[{"path":"/dev/x","device":"a","protocol":{"type":"modbus"}}]', /protocol\.type must be json, kv, csv or nmea/],
    ['ingest.ports', '[{"path":"/dev/x","device":"a","protocol":{"type":"csv"}}]', /protocol\.columns/],
    ['ingest.ports', '[{"path":"/dev/x","device":"a","framing":{"type":"line","maxLength":0}}]', /framing\.maxLength must be a positive integer/],
    ['ingest.ports', '[{"path":"/dev/x","device":"a","baud":9600}]', /unknown key "baud"/],
    ['ingest.ports', '[{"path":"/dev/x","device":"a"},{"path":"/dev/x","device":"b"}]', /configured twice/],
    ['ingest.rules', '[{"stream":"t","pipeline":[{"type":"window","ms":0}]}]', /ingest\.rules\[0\]\.pipeline\[0\] \(window\): "ms" must be/],
    ['ingest.mqtt.sources', '[{"topic":"a/#/b","device":"d","stream":"s"}]', /ingest\.mqtt\.sources\[0\]\.topic/],
    ['ingest.modbus', '[{"tcp":{"host":"h"},"slaves":[{"unit":1,"device":"d","points":[{"stream":"s","fc":6,"address":0}]}]}]', /ingest\.modbus\[0\]\.slaves\[0\]\.points\[0\]\.fc must be a read function code/],
    ['ingest.can', '[{"device":"bus","slcan":{"path":"/dev/ttyACM0","bitrate":300000},"j1939":true}]', /ingest\.can\[0\]\.slcan\.bitrate must be one of 10000/],
  ];
  for (const [key, value, re] of bad) {
    it(`fails fast with a ConfigError naming the problem: ${value}`, () => {
      assert.throws(() => load(value, key), (err: unknown) => err instanceof ConfigError && re.test(err.message));
    });
  }
});
