import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { countDrop, modbusSlaveCounters, newIngestCounters, sourceCounters } from '../../src/ingest/counters.js';
import { registerIngestMetrics } from '../../src/ingest/ingest-metrics.js';

describe('ingest/ingest-metrics', () => {
  it('exposes the live counters at scrape time', async () => {
    const counters = newIngestCounters();
    const registry = new Registry();
    registerIngestMetrics(counters, registry);
    const c = sourceCounters(counters, '/dev/ttyUSB0');
    c.opens = 2;
    c.disconnects = 1;
    countDrop(c, 'bad-checksum');
    countDrop(c, 'bad-checksum');
    counters.readings = 1234;
    const text = await registry.metrics();
    assert.match(text, /causeway_ingest_source_events\{source="\/dev\/ttyUSB0",counter="opens"\} 2/);
    assert.match(text, /causeway_ingest_source_events\{source="\/dev\/ttyUSB0",counter="disconnects"\} 1/);
    assert.match(text, /causeway_ingest_dropped_frames\{source="\/dev\/ttyUSB0",reason="bad-checksum"\} 2/);
    assert.match(text, /causeway_ingest_totals\{counter="readings"\} 1234/);
    const m = modbusSlaveCounters(counters, 'cabinet', 5);
    m.timeouts = 3;
    m.exceptions[4] = 7;
    const withModbus = await registry.metrics();
    assert.match(withModbus, /causeway_modbus_slave_events\{slave="cabinet\/5",counter="timeouts"\} 3/);
    assert.match(withModbus, /causeway_modbus_exceptions\{slave="cabinet\/5",code="4"\} 7/);
    c.opens = 3;
    assert.match(await registry.metrics(), /counter="opens"\} 3/);
  });
});
