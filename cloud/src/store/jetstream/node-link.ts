import { type JetStreamNotify, type NotifyCounters, createJetStreamNotify } from './jetstream-notify.js';
import type { JetStreamStore } from './jetstream-store.js';

export interface NodeLink {
  /** give to the broker as `onAppend`: announces the topic to the other nodes (coalesced) */
  onAppend(topic: string): void;
  readonly counters: NotifyCounters;
  close(): Promise<void>;
}

/**
 * Wires one broker node to the others through the JetStream store: the node's appends are announced on
 * `<prefix>.notify`, other nodes' announcements come back through `onRemote` once this node's index has
 * applied them. The whole cross-node wiring of a cloud node is:
 *
 * @example
 * const link = linkNode(store, { nodeId: cfg.node.id, onRemote: (topics) => broker.notifyRemote(topics) });
 * const broker = new Broker(store, { onAppend: (t) => { link.onAppend(t); queues?.notify(splitQueue(t).queue); } });
 */
export function linkNode(store: JetStreamStore, o: { nodeId: string; onRemote: (topics: string[]) => void; coalesceMs?: number }): NodeLink {
  const n: JetStreamNotify = createJetStreamNotify(store.nc, {
    subject: store.options.names.notifySubject,
    nodeId: o.nodeId,
    onRemote: o.onRemote,
    // reach, not waitForSeq: with this node's tail stalled (a nats-server died) it fetches the records itself
    waitForSeq: (seq) => store.log.reach(seq),
    ...(o.coalesceMs === undefined ? {} : { coalesceMs: o.coalesceMs }),
  });
  return {
    // The broker calls onAppend after the append resolved, so the index already holds its sequence.
    onAppend: (topic) => n.notify(topic, store.log.index.lastSeq),
    counters: n.counters,
    close: () => n.close(),
  };
}
