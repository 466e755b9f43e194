import type { AclDecision } from '@causeway/broker';
import { clip, matchTopic, parseSharedSubscription } from '@causeway/shared';
import { filterWithin } from '../acl.js';
import type { AclRule, AclRules } from './parse-acl-file.js';

/** Who asks, as the acl_file names clients: `%c` is the client id, `%u` and `user` lines the username. */
export interface AclFileClient {
  clientId: string;
  /** absent for an anonymous client: `topic` lines before the first `user` line apply, `%u` patterns do not */
  username?: string;
}

const ALLOW: AclDecision = { allow: true };

/** A value that would change a filter's shape if substituted: a pattern level must stay one exact level. */
function unsafeLevel(v: string): boolean {
  return v.includes('/') || v.includes('+') || v.includes('#');
}

/**
 * A pattern with `%c`/`%u` filled in for `client`; undefined when it does not apply to the client (a `%u`
 * pattern for an anonymous client, as in mosquitto) or `unsafe` when a value holds `/`, `+` or `#`.
 */
function substitute(filter: string, client: AclFileClient): string | undefined | 'unsafe' {
  if (!filter.includes('%')) return filter;
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    if (l === '%c') {
      if (unsafeLevel(client.clientId)) return 'unsafe';
      levels[i] = client.clientId;
    } else if (l === '%u') {
      if (client.username === undefined) return undefined;
      if (unsafeLevel(client.username)) return 'unsafe';
      levels[i] = client.username;
    }
  }
  return levels.join('/');
}

/** The filters that apply to `client`, grants and denials apart. An unsafe substitution only ever denies. */
function applicable(rules: AclRules, client: AclFileClient): { grants: Array<[AclRule, string]>; denials: Array<[AclRule, string | 'unsafe']> } {
  const grants: Array<[AclRule, string]> = [];
  const denials: Array<[AclRule, string | 'unsafe']> = [];
  const own = client.username === undefined ? rules.anonymous : (rules.users.get(client.username) ?? []);
  for (const r of own) (r.access === 'deny' ? denials : grants).push([r, r.filter]);
  for (const r of rules.patterns) {
    const f = substitute(r.filter, client);
    if (f === undefined) continue;
    if (r.access === 'deny') denials.push([r, f]);
    else if (f !== 'unsafe') grants.push([r, f]);
  }
  return { grants, denials };
}

function who(client: AclFileClient): string {
  return client.username === undefined ? `anonymous client ${clip(client.clientId)}` : `user ${clip(client.username)}`;
}

/** First levels: a wildcard there does not reach `$` topics [MQTT-4.7.2-1]. */
function dollarShielded(filter: string, rule: string): boolean {
  return filter.startsWith('$') && (rule.startsWith('+') || rule.startsWith('#'));
}

/** Do two filters match at least one common topic? (A denied filter a subscription overlaps refuses it.) */
export function filtersOverlap(a: string, b: string): boolean {
  if (dollarShielded(a, b) || dollarShielded(b, a)) return false;
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; ; i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined || q === undefined) {
      if (p === undefined && q === undefined) return true;
      // `a/#` also matches `a` [MQTT-4.7.1-2]
      const rest = p === undefined ? y.slice(i) : x.slice(i);
      return rest.length === 1 && rest[0] === '#';
    }
    if (p === '#' || q === '#') return true;
    if (p === '+' || q === '+' || p === q) continue;
    return false;
  }
}

/**
 * May `client` publish on `topic` under the acl_file? A matching `deny` wins; otherwise a `write` or
 * `readwrite` rule must match; nothing matching is a denial (an acl_file grants, it does not only forbid).
 */
export function aclFileCanPublish(rules: AclRules, client: AclFileClient, topic: string): AclDecision {
  const { grants, denials } = applicable(rules, client);
  for (const [r, f] of denials) {
    if (f === 'unsafe' || matchTopic(f, topic)) return { allow: false, reason: `acl file line ${r.line} denies ${who(client)} on "${clip(topic)}"` };
  }
  for (const [r, f] of grants) if (r.access !== 'read' && matchTopic(f, topic)) return ALLOW;
  return { allow: false, reason: `acl file grants ${who(client)} no write on "${clip(topic)}"` };
}

/**
 * May `client` subscribe to `filter` (`$share/{group}/…` is checked by its inner filter)? The decision is
 * taken at SUBSCRIBE for the whole filter: it must lie within a `read`/`readwrite` rule and overlap no `deny`
 * rule (messages are not checked one by one on delivery, so a filter reaching into denied topics is refused).
 */
export function aclFileCanSubscribe(rules: AclRules, client: AclFileClient, filter: string): AclDecision {
  let inner = filter;
  try {
    inner = parseSharedSubscription(filter)?.filter ?? filter;
  } catch {
    return { allow: false, reason: `"${clip(filter)}" is not a valid shared subscription` };
  }
  const { grants, denials } = applicable(rules, client);
  for (const [r, f] of denials) {
    if (f === 'unsafe' || filtersOverlap(inner, f)) return { allow: false, reason: `acl file line ${r.line} denies ${who(client)} on "${clip(filter)}"` };
  }
  for (const [r, f] of grants) if (r.access !== 'write' && !dollarShielded(inner, f) && filterWithin(inner, f)) return ALLOW;
  return { allow: false, reason: `acl file grants ${who(client)} no read on "${clip(filter)}"` };
}
