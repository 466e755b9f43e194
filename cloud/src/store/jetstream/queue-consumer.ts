import { AckPolicy, DeliverPolicy, type ConsumerInfo, type JetStreamManager } from 'nats';
import type { JetStreamNames } from './jetstream-options.js';
import { escapeToken } from './subject-escape.js';

/** The subject filter of server-side queue `name` (the first topic level): `<prefix>.msg.<name>.>`. */
export function queueSubjectFilter(names: JetStreamNames, queue: string): string {
  return `${names.msgRoot}.${escapeToken(queue)}.>`;
}

/**
 * Creates (or keeps) a durable JetStream consumer over server-side queue `queue`, so a backend app in any
 * language with a NATS client consumes it natively: pull from consumer `durable` on the log stream,
 * explicit acks, redelivery after `ackWaitMs`. Each message is the device's payload as the body and the
 * Causeway headers (message-codec.ts, docs/scale-out.md). Single filter subject, for nats-server 2.9: a
 * one-level topic (`telemetry` with no `/`) is not under `telemetry.>` and is not delivered here.
 *
 * @example
 * await ensureQueueConsumer(store.jsm, store.options.names, 'telemetry', 'billing');
 * // any NATS client: js.consumers.get('causeway_log', 'billing') → fetch/consume, ack each
 */
export async function ensureQueueConsumer(
  jsm: JetStreamManager,
  names: JetStreamNames,
  queue: string,
  durable: string,
  opts: { ackWaitMs?: number; fromStart?: boolean } = {},
): Promise<ConsumerInfo> {
  return jsm.consumers.add(names.stream, {
    durable_name: durable,
    filter_subject: queueSubjectFilter(names, queue),
    ack_policy: AckPolicy.Explicit,
    ack_wait: (opts.ackWaitMs ?? 30_000) * 1_000_000,
    deliver_policy: opts.fromStart === false ? DeliverPolicy.New : DeliverPolicy.All,
  });
}
