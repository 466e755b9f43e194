import { Gauge, Registry } from 'prom-client';
import { registerIngestMetrics } from '../ingest/ingest-metrics.js';
import type { EdgeAgent } from './edge-snapshot.js';

/** Prometheus metrics of the agent, read from the counters its parts keep. */
export function edgeMetrics(agent: EdgeAgent): Registry {
  const registry = new Registry();
  registerIngestMetrics(agent.ingestCounters(), registry);
  new Gauge({
    name: 'causeway_outbox',
    help: 'Outbox: buffered records and bytes, oldest unsent record age (s), records pending (not yet committed or acknowledged), readings the cloud acknowledged before any write (direct path)',
    labelNames: ['what'],
    registers: [registry],
    collect() {
      const s = agent.snapshot().outbox as { records: number; bytes: number; oldestAgeSeconds?: number; pending?: number; directAcked?: number };
      this.set({ what: 'records' }, s.records);
      this.set({ what: 'bytes' }, s.bytes);
      this.set({ what: 'oldest_age_seconds' }, s.oldestAgeSeconds ?? 0);
      // the direct path (issue 16): accepted and not yet settled, and settled by a PUBACK without a write
      this.set({ what: 'pending' }, s.pending ?? 0);
      this.set({ what: 'direct_acked' }, s.directAcked ?? 0);
    },
  });
  new Gauge({
    name: 'causeway_outbox_dropped',
    help: 'Records evicted (buffer full), expired (TTL) or quarantined (refused by the broker), by priority',
    labelNames: ['reason', 'priority'],
    registers: [registry],
    collect() {
      const s = agent.snapshot().outbox as { evicted: Record<string, number>; expired: Record<string, number>; quarantined: Record<string, number> };
      for (const [p, n] of Object.entries(s.evicted)) this.set({ reason: 'evicted', priority: p }, n);
      for (const [p, n] of Object.entries(s.expired)) this.set({ reason: 'expired', priority: p }, n);
      for (const [p, n] of Object.entries(s.quarantined)) this.set({ reason: 'quarantined', priority: p }, n);
    },
  });
  new Gauge({
    name: 'causeway_stdin_lines',
    help: 'stdin input (input.stdin): lines read, committed, invalid, and refused by reason (overlong, oversized)',
    labelNames: ['what'],
    registers: [registry],
    collect() {
      const s = agent.snapshot().stdin as { lines: number; committed: number; invalid: number; drops: Record<string, number> } | undefined;
      if (s === undefined) return;
      for (const k of ['lines', 'committed', 'invalid'] as const) this.set({ what: k }, s[k]);
      for (const [reason, n] of Object.entries(s.drops)) this.set({ what: `dropped_${reason}` }, n);
    },
  });
  new Gauge({
    name: 'causeway_uplink',
    help: 'Uplink: connected (0/1), connects, batches published, acked, resent, in flight',
    labelNames: ['what'],
    registers: [registry],
    collect() {
      const u = agent.snapshot().link as Record<string, number | boolean>;
      for (const [k, v] of Object.entries(u)) if (typeof v === 'number' || typeof v === 'boolean') this.set({ what: k }, Number(v));
    },
  });
  new Gauge({
    name: 'causeway_commands',
    help: 'Commands received, duplicates, and results by outcome',
    labelNames: ['what'],
    registers: [registry],
    collect() {
      for (const [k, v] of Object.entries(agent.snapshot().commands as Record<string, number>)) this.set({ what: k }, v);
    },
  });
  new Gauge({
    name: 'causeway_files',
    help: 'File and release installs since the agent started (issue 17): accepted, downloads (started or resumed), fetched_bytes, refetched_bytes, succeeded, failed, rolled_back',
    labelNames: ['what'],
    registers: [registry],
    collect() {
      const f = agent.snapshot().files as Record<string, unknown> | undefined;
      if (f === undefined) return;
      for (const [k, v] of Object.entries(f)) if (typeof v === 'number') this.set({ what: k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) }, v);
    },
  });
  return registry;
}
