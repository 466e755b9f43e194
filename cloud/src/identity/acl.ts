import type { AclDecision, Identity } from '@causeway/broker';
import { matchTopic, parseSharedSubscription, queueOfFirstLevel, tryParseTopic, UPLINK_KINDS, DOWNLINK_KINDS } from '@causeway/shared';

// Identity and AclDecision belong to the broker's access contract; re-exported for the cloud's callers.
export type { AclDecision, Identity };

const ALLOW: AclDecision = { allow: true };
const deny = (reason: string): AclDecision => ({ allow: false, reason });

const UPLINK: ReadonlySet<string> = new Set(UPLINK_KINDS);
const DOWNLINK: ReadonlySet<string> = new Set(DOWNLINK_KINDS);

/** May this identity publish on `topic`? Pure. */
export function canPublish(who: Identity, topic: string): AclDecision {
  if (who.role === 'admin') return ALLOW;
  const t = tryParseTopic(topic);
  if (t === undefined) return deny(`"${topic}" is not a Causeway topic`);
  if (who.role === 'gateway') {
    if (!UPLINK.has(t.kind)) return deny(`a gateway may not publish on ${t.kind}/…`);
    if ((t as { gateway: string }).gateway !== who.id) return deny(`gateway ${who.id} may not publish as another gateway`);
    // A renewal is authenticated by the certificate it renews (issue 20): not by a secret or a token.
    if (t.kind === 'cert-req' && who.certificate !== true) return deny(`gateway ${who.id} may renew its certificate only over a session that certificate opened`);
    return ALLOW;
  }
  if (!DOWNLINK.has(t.kind)) return deny(`app ${who.id} may not publish uplink topics`);
  // Chunk answers come from the cloud's chunk server only (a forged one fails the gateway's chunk hash,
  // but would still cost it a download, issue 17).
  if (t.kind === 'file-chunk') return deny(`app ${who.id} may not answer chunk requests`);
  if (t.kind === 'cert') return deny(`app ${who.id} may not answer certificate renewals`);
  return who.canSend ? ALLOW : deny(`app ${who.id} is not allowed to send to devices`);
}

/** The downlink filters a gateway may hold (its own, its groups', the broadcast, its config, its chunk answers). */
function gatewayFilters(who: { id: string; groups: readonly string[] }): string[] {
  return [`cmd/${who.id}/#`, ...who.groups.map((g) => `cmd-group/${g}/#`), 'cmd-all/#', `config/${who.id}`, `file-chunk/${who.id}/#`, `cert/${who.id}`];
}

/**
 * Is `inner` contained in `outer` (every topic `inner` matches is matched by `outer`)? Needed so a
 * gateway may subscribe to `cmd/gw1/+/+` but not to `cmd/+/+/+`.
 */
export function filterWithin(inner: string, outer: string): boolean {
  const a = inner.split('/');
  const b = outer.split('/');
  for (let i = 0; i < a.length; i++) {
    const o = b[i];
    if (o === undefined) return false;
    if (o === '#') return true;
    const x = a[i]!;
    if (x === '#') return false;
    if (o === '+') continue;
    if (x === '+' || x !== o) return false;
  }
  if (b.length === a.length) return true;
  return b.length === a.length + 1 && b[a.length] === '#';
}

/** May this identity subscribe to `filter` (possibly `$share/…`)? Pure. */
export function canSubscribe(who: Identity, filter: string): AclDecision {
  if (who.role === 'admin') return ALLOW;
  let inner = filter;
  try {
    const shared = parseSharedSubscription(filter);
    if (shared !== undefined) inner = shared.filter;
  } catch {
    return deny(`"${filter}" is not a valid shared subscription`);
  }
  if (who.role === 'gateway') {
    if (inner !== filter) return deny('a gateway may not use shared subscriptions');
    return gatewayFilters(who).some((g) => filterWithin(inner, g)) ? ALLOW : deny(`gateway ${who.id} may not subscribe to "${filter}"`);
  }
  // `/sensors/#` reads the `_root` queue, where topics with an empty first level go (issue 15).
  const queue = queueOfFirstLevel(inner.split('/')[0]!);
  if (queue === '+' || queue === '#') return deny(`app ${who.id} must name a queue, not "${queue}"`);
  // What the cloud sends to gateways (commands, their config, file chunks, renewed certificates) is for
  // those gateways: no grant, not even `*`, lets an app read it (the HTTP API offers none of these queues).
  if (DOWNLINK.has(queue)) return deny(`app ${who.id} may not read ${queue}/…: the downlink to gateways is theirs alone`);
  return who.queues.includes(queue) || who.queues.includes('*') ? ALLOW : deny(`app ${who.id} has no access to queue ${queue}`);
}

/** Convenience for tests and the CLI: does any granted filter match this topic. */
export function matchesAny(filters: readonly string[], topic: string): boolean {
  return filters.some((f) => matchTopic(f, topic));
}
