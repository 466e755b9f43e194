import { Gauge, type Registry } from 'prom-client';
import type { IngestCounters } from './counters.js';

/**
 * Prometheus view of the ingest counters, read at scrape time (no second bookkeeping). The values
 * only grow, so `rate()` works on them as on counters.
 *
 * @example
 * registerIngestMetrics(ingest.counters, registry); // the registry the health server serves
 */
export function registerIngestMetrics(counters: IngestCounters, registry: Registry): void {
  new Gauge({
    name: 'causeway_ingest_source_events',
    help: 'Per source (serial port path or mqtt:<filter>): opens, openFailures, disconnects, bytes, frames, readings, acks, replies',
    labelNames: ['source', 'counter'],
    registers: [registry],
    collect() {
      for (const [source, c] of Object.entries(counters.sources)) {
        for (const k of ['opens', 'openFailures', 'disconnects', 'bytes', 'frames', 'readings', 'acks', 'replies'] as const) this.set({ source, counter: k }, c[k]);
      }
    },
  });
  new Gauge({
    name: 'causeway_ingest_dropped_frames',
    help: 'Frames refused per source and reason (overlong, oversized, invalid-utf8, bad-checksum, non-numeric, malformed, unsupported, unmapped, sink-failed)',
    labelNames: ['source', 'reason'],
    registers: [registry],
    collect() {
      for (const [source, c] of Object.entries(counters.sources)) {
        for (const [reason, n] of Object.entries(c.drops)) this.set({ source, reason }, n ?? 0);
      }
    },
  });
  new Gauge({
    name: 'causeway_modbus_slave_events',
    help: 'Per Modbus slave (<bus>/<unit>): polls, reads, readings, timeouts, crcErrors, linkErrors, skipped',
    labelNames: ['slave', 'counter'],
    registers: [registry],
    collect() {
      for (const [slave, c] of Object.entries(counters.modbus)) {
        for (const k of ['polls', 'reads', 'readings', 'timeouts', 'crcErrors', 'linkErrors', 'skipped'] as const) this.set({ slave, counter: k }, c[k]);
      }
    },
  });
  new Gauge({
    name: 'causeway_modbus_exceptions',
    help: 'Modbus exception responses per slave (<bus>/<unit>) and exception code (1 illegal function, 2 illegal data address, 3 illegal data value, 4 slave device failure, 6 busy, 11 gateway target failed)',
    labelNames: ['slave', 'code'],
    registers: [registry],
    collect() {
      for (const [slave, c] of Object.entries(counters.modbus)) {
        for (const [code, n] of Object.entries(c.exceptions)) this.set({ slave, code }, n);
      }
    },
  });
  new Gauge({
    name: 'causeway_can_dbc_events',
    help: 'DBC loads per CAN source (can:<name>): loaded (start, file change, SIGHUP, remote ingest.canDbc), failed (a changed file that does not parse; the previous DBC stays)',
    labelNames: ['source', 'event'],
    registers: [registry],
    collect() {
      for (const [source, c] of Object.entries(counters.canDbc)) {
        this.set({ source, event: 'loaded' }, c.loaded);
        this.set({ source, event: 'failed' }, c.failed);
      }
    },
  });
  new Gauge({
    name: 'causeway_ingest_totals',
    help: 'Readings and events handed to the outbox, and sink failures',
    labelNames: ['counter'],
    registers: [registry],
    collect() {
      this.set({ counter: 'readings' }, counters.readings);
      this.set({ counter: 'events' }, counters.events);
      this.set({ counter: 'sinkErrors' }, counters.sinkErrors);
    },
  });
}
