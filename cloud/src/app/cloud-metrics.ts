import { Counter, Gauge, Registry } from 'prom-client';
import { type Broker, type MessageLog, serverQueue } from '@causeway/broker';
import type { CommandService } from '../control/command-service.js';
import type { ClusteredQueuesCounters } from '../store/jetstream/clustered-queues.js';
import type { ApiCounters } from '../api/api-counters.js';
import { ROOT_QUEUE, UPLINK_KINDS } from '@causeway/shared';
import type { SinkService } from '../sinks/sink-service.js';
import type { AclFileCounters } from '../identity/acl-file/acl-file-policy.js';
import type { ServedCounters } from '../files/served-counters.js';

const SINK_STATES = ['running', 'backing off', 'paused', 'standby', 'stopped'] as const;

/**
 * Prometheus metrics of a cloud node, read from the counters the parts already keep (no second
 * bookkeeping): broker counters, store size, messages by queue, command states.
 */
export function cloudMetrics(
  broker: Broker,
  log: MessageLog,
  commands: CommandService,
  groups?: { counters: ClusteredQueuesCounters },
  api?: ApiCounters,
  jetstream?: { counters: Record<string, number> },
  sinks?: SinkService,
  aclFile?: AclFileCounters,
  artifacts?: ServedCounters,
  auth?: () => Record<string, number>,
): Registry {
  const registry = new Registry();
  if (auth !== undefined) {
    new Gauge({
      name: 'causeway_auth_certificates',
      help: 'Gateway certificates since start: CONNECTs refused for a revoked certificate (certRevokedRefused), first CONNECTs with a renewed one (certRenewedInUse), renewal requests, renewed, refused and malformed',
      labelNames: ['counter'],
      registers: [registry],
      collect() {
        for (const [k, v] of Object.entries(auth())) this.set({ counter: k }, v);
      },
    });
  }
  if (artifacts !== undefined) {
    new Gauge({
      name: 'causeway_artifacts',
      help: 'Artifact content served to gateways since start, by transport (mqtt chunks, http ranges): requests, servedBytes, refused (not rolled out to the gateway, unknown content, bad range)',
      labelNames: ['transport', 'counter'],
      registers: [registry],
      collect() {
        for (const [t, c] of Object.entries(artifacts.byTransport)) for (const [k, v] of Object.entries(c)) this.set({ transport: t, counter: k }, v);
      },
    });
  }
  if (sinks !== undefined) sinkMetrics(registry, sinks);
  if (aclFile !== undefined) {
    new Gauge({
      name: 'causeway_acl_file',
      help: 'Operator acl_file (auth.aclFile): publishes, wills and subscriptions it denied, SIGHUP reloads taken and refused, rules in force',
      labelNames: ['counter'],
      registers: [registry],
      collect() {
        for (const [k, v] of Object.entries(aclFile)) this.set({ counter: k }, v);
      },
    });
  }
  if (jetstream !== undefined) {
    new Gauge({
      name: 'causeway_jetstream_log',
      help: 'JetStream log (totals since start): append chains, appends retried while the stream was unavailable and those that failed past store.jetstream.appendRetryMs, catch-ups without the tail',
      labelNames: ['counter'],
      registers: [registry],
      collect() {
        for (const [k, v] of Object.entries(jetstream.counters)) this.set({ counter: k }, v);
      },
    });
  }
  if (api !== undefined) {
    new Gauge({
      name: 'causeway_api_events',
      help: 'HTTP API counters: requests, refusals (bad request, unauthorized, forbidden, unparseable), internal errors, unavailable (503: store failed or closing), event streams open and refused',
      labelNames: ['counter'],
      registers: [registry],
      collect() {
        for (const [k, v] of Object.entries(api)) this.set({ counter: k }, v);
      },
    });
  }
  if (groups !== undefined) {
    new Gauge({
      name: 'causeway_consumer_groups',
      help: 'Consumer groups across nodes (JetStream): calls forwarded to and served for other nodes, owners evicted, groups lost to another node, messages handed back',
      labelNames: ['counter'],
      registers: [registry],
      collect() {
        for (const [k, v] of Object.entries(groups.counters)) this.set({ counter: k }, v);
      },
    });
  }
  new Gauge({
    name: 'causeway_broker_events',
    help: 'Broker counters (connections, publishes, refusals, drops) by name',
    labelNames: ['counter'],
    registers: [registry],
    collect() {
      for (const [k, v] of Object.entries(broker.counters)) this.set({ counter: k }, v);
    },
  });
  new Gauge({
    name: 'causeway_store',
    help: 'Stored messages, payload bytes and queues',
    labelNames: ['what'],
    registers: [registry],
    async collect() {
      const s = await log.stats();
      this.set({ what: 'messages' }, s.messages);
      this.set({ what: 'bytes' }, s.bytes);
      this.set({ what: 'queues' }, s.queues);
    },
  });
  new Gauge({
    name: 'causeway_queue_messages',
    help: 'Messages in each server-side queue (next offset - first offset)',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      for (const q of [...UPLINK_KINDS, ROOT_QUEUE]) {
        this.set({ queue: q }, (await log.nextOffset(serverQueue(q))) - (await log.firstOffset(serverQueue(q))));
      }
    },
  });
  new Gauge({
    name: 'causeway_command_targets',
    help: 'Targets of the 50 newest commands by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const totals: Record<string, number> = {};
      for (const c of await commands.list(50)) for (const [s, n] of Object.entries(await commands.counts(c.id))) totals[s] = (totals[s] ?? 0) + n;
      for (const [s, n] of Object.entries(totals)) this.set({ state: s }, n);
    },
  });
  return registry;
}

/** Per sink (issue 21): lag, rows/s, state, and its counters (rows, batches, failures, dead-lettered, …); SIGHUP reloads. */
function sinkMetrics(registry: Registry, sinks: SinkService): void {
  new Counter({
    name: 'causeway_sink_reloads_total',
    help: 'SIGHUP reloads of the sinks config: ok (the running sinks are the new ones) and failed (the file or an entry was refused; the running sinks were kept)',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      this.reset();
      for (const result of ['ok', 'failed'] as const) this.inc({ result }, sinks.reloads[result]);
    },
  });
  // One status read per scrape feeds the four gauges (each collect would otherwise ask the queues again).
  let pending: ReturnType<SinkService['list']> | undefined;
  const statuses = (): ReturnType<SinkService['list']> => {
    pending ??= sinks.list().finally(() => setImmediate(() => (pending = undefined)));
    return pending;
  };
  new Gauge({
    name: 'causeway_sink_lag',
    help: 'Messages of the sink\'s queue not yet written and acked (-1: the queue did not answer)',
    labelNames: ['sink'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await statuses()) this.set({ sink: s.name }, s.lag);
    },
  });
  new Gauge({
    name: 'causeway_sink_rows_per_second',
    help: 'Rows the sink\'s target committed per second, over the last 10 s',
    labelNames: ['sink'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await statuses()) this.set({ sink: s.name }, s.rowsPerSecond);
    },
  });
  new Gauge({
    name: 'causeway_sink_state',
    help: 'Sink state: 1 for the state it is in (running, backing off, paused, standby: another node runs it), 0 for the others',
    labelNames: ['sink', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await statuses()) for (const st of SINK_STATES) this.set({ sink: s.name, state: st }, s.state === st ? 1 : 0);
    },
  });
  new Gauge({
    name: 'causeway_sink_events',
    help: 'Sink counters since start: rows, batches, failures (retried), malformed and dead-lettered, and the target\'s own (inserted, duplicates, connects)',
    labelNames: ['sink', 'counter'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await statuses()) for (const [k, v] of Object.entries(s.counters)) this.set({ sink: s.name, counter: k }, v);
    },
  });
}
