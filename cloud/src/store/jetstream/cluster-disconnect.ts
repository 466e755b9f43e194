import type { NatsConnection, Subscription } from 'nats';
import { isValidId } from '@causeway/shared';

/**
 * Disconnects across nodes: a device disabled, rotated, deleted or whose certificate was revoked through
 * one node's API must lose its session on whichever node holds it, now, not at its next reconnect (a
 * revoked gateway could otherwise keep publishing through another node for as long as its link lasts).
 * The node that took the API call closes its own connections and announces the client id on core NATS,
 * `<prefix>.disconnect`, as `{"node":"…","clientId":"…"}`; every other node closes its connections with
 * that client id. Core NATS is at most once: a lost announcement leaves the session until its next
 * reconnect, which the registry then refuses, as before this existed.
 */
export interface ClusterDisconnect {
  /** Tells the other nodes to close `clientId`'s connections. */
  announce(clientId: string): void;
  readonly counters: { sent: number; received: number; malformed: number };
  close(): Promise<void>;
}

export function createClusterDisconnect(nc: NatsConnection, o: { subject: string; nodeId: string; onRemote: (clientId: string) => void }): ClusterDisconnect {
  const counters = { sent: 0, received: 0, malformed: 0 };
  let closed = false;
  const sub: Subscription = nc.subscribe(o.subject, {
    callback: (_err, msg) => {
      let w: { node?: unknown; clientId?: unknown };
      try {
        w = JSON.parse(Buffer.from(msg.data).toString('utf8')) as typeof w;
      } catch {
        counters.malformed++;
        return;
      }
      if (typeof w.node !== 'string' || typeof w.clientId !== 'string' || !isValidId(w.clientId)) {
        counters.malformed++;
        return;
      }
      if (w.node === o.nodeId || closed) return;
      counters.received++;
      o.onRemote(w.clientId);
    },
  });
  return {
    counters,
    announce(clientId) {
      if (closed) return;
      nc.publish(o.subject, Buffer.from(JSON.stringify({ node: o.nodeId, clientId })));
      counters.sent++;
    },
    async close() {
      closed = true;
      sub.unsubscribe();
      await nc.flush().catch(() => undefined);
    },
  };
}
