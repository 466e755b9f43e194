import { validateTopicFilter, validateTopicName, matchTopic, DOWNLINK_KINDS } from '@causeway/shared';
import { ApiError } from './http-status.js';

const GATEWAY_REPORT_KINDS = ['cmd-result', 'config-reported', 'status'] as const;

/**
 * What a backend app may do over the HTTP API (issue 23 item 10): read the server-side queues it was
 * granted, publish on topics its filters match, nothing else. The operator may do anything the routes
 * offer. Pure functions; the routes call them once they know the queue or the topic.
 */
export type Principal = { kind: 'operator' } | { kind: 'app'; id: string; read: readonly string[]; publish: readonly string[] };

/** Consumer groups whose name starts with `_` belong to the cloud itself (the control plane's `_control`). */
export function checkGroupName(group: string): void {
  if (group.startsWith('_')) throw new ApiError('API_BAD_REQUEST', `consumer group names starting with "_" are reserved (got "${group}")`);
}

/** `read` grants are queue names or `*` (every queue). */
export function mayRead(who: Principal, queue: string): void {
  if (who.kind === 'operator') return;
  if (who.read.includes('*') || who.read.includes(queue)) return;
  throw new ApiError('API_FORBIDDEN', `app ${who.id} may not read queue ${queue}`);
}

/**
 * The raw publish API (`POST /v1/queues/{q}/messages`) is for application topics. Commands and config go
 * through /v1/commands and /v1/config, which apply their size limits and track delivery; `.`/`..` levels
 * would let a topic name look like a path to whatever maps topics onto one; `$` topics are the broker's.
 */
export function checkRawPublishTopic(topic: string): void {
  validateTopicName(topic);
  const levels = topic.split('/');
  const first = levels[0]!;
  if ((DOWNLINK_KINDS as readonly string[]).includes(first)) {
    throw new ApiError('API_FORBIDDEN', `${first}/… topics cannot be published raw: use POST /v1/commands or PUT /v1/config`);
  }
  // What gateways report about commands, config and their own presence feeds the control plane's state:
  // only the gateway itself may say it (over MQTT, under its own id).
  if ((GATEWAY_REPORT_KINDS as readonly string[]).includes(first)) {
    throw new ApiError('API_FORBIDDEN', `${first}/… topics are reports from gateways and cannot be published through the API`);
  }
  // A renewal is authenticated by the certificate it renews (issue 20): only over the gateway's mTLS session.
  if (first === 'cert-req') throw new ApiError('API_FORBIDDEN', 'cert-req/… topics are certificate renewals, sent by a gateway over its mTLS session only');
  if (first.startsWith('$')) throw new ApiError('API_FORBIDDEN', `topics starting with "$" are reserved for the broker (got "${topic}")`);
  if (levels.some((l) => l === '.' || l === '..')) throw new ApiError('API_BAD_REQUEST', `topic "${topic}" must not have "." or ".." levels`);
}

/** An app publishes only on topics one of its `publish` filters matches. */
export function mayPublish(who: Principal, topic: string): void {
  if (who.kind === 'operator') return;
  if (who.publish.some((f) => matchTopic(f, topic))) return;
  throw new ApiError('API_FORBIDDEN', `app ${who.id} may not publish on ${topic}`);
}

/** Validates the grants given when an app is created: known queue names or `*`, valid topic filters. */
export function checkGrants(read: readonly string[], publish: readonly string[], queues: readonly string[]): void {
  for (const q of read) if (q !== '*' && !queues.includes(q)) throw new ApiError('API_BAD_REQUEST', `read: "${q}" is not a queue (one of ${queues.join(', ')} or *)`);
  for (const f of publish) {
    validateTopicFilter(f);
    const first = f.split('/')[0]!;
    // A filter starting with a wildcard would match cmd/… too; the raw publish check refuses those
    // topics anyway, but a grant that says so is clearer than one that silently cannot be used.
    if ((DOWNLINK_KINDS as readonly string[]).includes(first) || first.startsWith('$')) throw new ApiError('API_BAD_REQUEST', `publish: "${f}" is a reserved topic space`);
  }
}

/**
 * An app token is `cwa_{app id}.{secret}`: the id finds the registry entry without a scan, the secret is
 * checked against its scrypt hash. The secret is base64url (no `.`), so the last `.` splits them.
 */
export const APP_TOKEN_PREFIX = 'cwa_';

export function formatAppToken(id: string, secret: string): string {
  return `${APP_TOKEN_PREFIX}${id}.${secret}`;
}

export function parseAppToken(token: string): { id: string; secret: string } | undefined {
  if (!token.startsWith(APP_TOKEN_PREFIX)) return undefined;
  const dot = token.lastIndexOf('.');
  if (dot <= APP_TOKEN_PREFIX.length || dot === token.length - 1) return undefined;
  return { id: token.slice(APP_TOKEN_PREFIX.length, dot), secret: token.slice(dot + 1) };
}
