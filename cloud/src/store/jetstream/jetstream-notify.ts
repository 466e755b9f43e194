import type { NatsConnection, Subscription } from 'nats';

/**
 * Push-pull across nodes (issue 9): a node that appended messages publishes the topic names — never the
 * payloads — on a core NATS subject; every other node matches them against its own connections and pulls
 * from the shared log (through its message cache, so one read serves all its subscribers).
 *
 * Topics are coalesced: every topic notified within `coalesceMs` (default: the same event-loop turn) goes
 * out once, in one message `{"node":"…","seq":N,"topics":[…]}` (split above `maxTopicsPerMessage`).
 * `seq` is the highest stream sequence behind those topics: the receiver waits until its own index has
 * applied it (`waitForSeq`) before calling back, so the pull that follows finds the message.
 * Core NATS is at most once: a lost notification only delays delivery until the next one for that topic
 * or the broker's periodic re-read; nothing is lost from the log.
 */
export interface JetStreamNotifyOptions {
  /** core subject, `<prefix>.notify` */
  subject: string;
  /** this node's id; its own notifications are not delivered back to it */
  nodeId: string;
  /** called with other nodes' topics, once the local index has caught up to their sequence */
  onRemote: (topics: string[], fromNode: string) => void;
  /** the JetStream log's waitForSeq; omitted = call back at once */
  waitForSeq?: (seq: number) => Promise<boolean>;
  coalesceMs?: number;
  maxTopicsPerMessage?: number;
}

export interface NotifyCounters {
  /** messages published */
  sent: number;
  /** topics handed to notify() */
  notified: number;
  /** other nodes' messages delivered to onRemote */
  received: number;
  /** messages that were not a notification (counted and dropped) */
  malformed: number;
}

export interface JetStreamNotify {
  /** Queues `topic` (appended up to stream sequence `seq`) for the next coalesced notification. */
  notify(topic: string, seq: number): void;
  /** Publishes what is pending now. */
  flush(): void;
  readonly counters: NotifyCounters;
  /** Flushes, then stops listening. */
  close(): Promise<void>;
}

interface Wire {
  node: string;
  seq: number;
  topics: string[];
}

function parseWire(data: Uint8Array): Wire | undefined {
  try {
    const w = JSON.parse(Buffer.from(data).toString('utf8')) as Partial<Wire>;
    if (typeof w.node !== 'string' || !Number.isSafeInteger(w.seq) || !Array.isArray(w.topics)) return undefined;
    if (!w.topics.every((t) => typeof t === 'string')) return undefined;
    return w as Wire;
  } catch {
    return undefined;
  }
}

/**
 * @example
 * const n = createJetStreamNotify(store.nc, { subject: store.options.names.notifySubject, nodeId: 'node-a',
 *   waitForSeq: (s) => store.log.waitForSeq(s), onRemote: (topics) => broker.deliverTopics(topics) });
 * // after each append: n.notify(message.topic, result.id)
 */
export function createJetStreamNotify(nc: NatsConnection, o: JetStreamNotifyOptions): JetStreamNotify {
  const coalesceMs = o.coalesceMs ?? 0;
  const maxTopics = o.maxTopicsPerMessage ?? 1000;
  const counters: NotifyCounters = { sent: 0, notified: 0, received: 0, malformed: 0 };
  let pending = new Set<string>();
  let pendingSeq = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const flush = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (pending.size === 0) return;
    const topics = [...pending];
    const seq = pendingSeq;
    pending = new Set();
    for (let i = 0; i < topics.length; i += maxTopics) {
      const w: Wire = { node: o.nodeId, seq, topics: topics.slice(i, i + maxTopics) };
      nc.publish(o.subject, Buffer.from(JSON.stringify(w)));
      counters.sent++;
    }
  };

  const sub: Subscription = nc.subscribe(o.subject, {
    callback: (_err, msg) => {
      const w = parseWire(msg.data);
      if (w === undefined) {
        counters.malformed++;
        return;
      }
      if (w.node === o.nodeId) return;
      const deliver = (): void => {
        if (closed) return;
        counters.received++;
        o.onRemote(w.topics, w.node);
      };
      // Deliver even if the wait timed out: the pull then finds whatever the index has; a later
      // notification catches the rest.
      if (o.waitForSeq === undefined) deliver();
      else void o.waitForSeq(w.seq).then(deliver, deliver);
    },
  });

  return {
    counters,
    notify(topic, seq) {
      if (closed) return;
      counters.notified++;
      pending.add(topic);
      if (seq > pendingSeq) pendingSeq = seq;
      if (timer === undefined) timer = setTimeout(flush, coalesceMs);
    },
    flush,
    async close() {
      flush();
      closed = true;
      sub.unsubscribe();
      await nc.flush().catch(() => undefined);
    },
  };
}
