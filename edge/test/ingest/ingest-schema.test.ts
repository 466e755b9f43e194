import assert from 'node:assert/strict';
import { loadConfig, ConfigError } from '@causeway/shared';
import { ingestSchema, type IngestConfig } from '../../src/ingest/ingest-schema.js';

const load = (ingest: string, key = 'ingest.ports'): IngestConfig =>
  loadConfig<{ ingest: IngestConfig }>({ ingest: ingestSchema }, { argv: [`--${key}`, ingest], env: {} }).ingest;

describe('ingest/ingest-schema', () => {
  it('defaults: no ports, no rules, no MQTT', () => {
    const c = loadConfig<{ ingest: IngestConfig }>({ ingest: ingestSchema }, { argv: [], env: {} }).ingest;
    assert.deepEqual(c.ports, []);
    assert.equal(c.mqtt.url, '');
    assert.equal(c.reopen.initialMs, 250);
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
  ];
  for (const [key, value, re] of bad) {
    it(`fails fast with a ConfigError naming the problem: ${value}`, () => {
      assert.throws(() => load(value, key), (err: unknown) => err instanceof ConfigError && re.test(err.message));
    });
  }
});
